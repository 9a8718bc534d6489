import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { HomePaths } from '../config/paths.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import {
  lockArtifact,
  parseLock,
  readLockArtifact,
  type LockedPack,
  type ReconcileLock,
} from '../sources/source-lock.js';
import type { Store } from '../store/store-target.js';
import { sourceLockPath } from './source-state.js';

/**
 * A source's lock on this node (the format is src/sources/source-lock.ts): `$SCRYDON_HOME/state/<source>.lock.json`
 * and, so that it travels with `save`, an artifact referring to the catalog artifact in the store.
 */
export type { LockedPack, ReconcileLock } from '../sources/source-lock.js';

export function findLocked(lock: ReconcileLock, id: string, version: string): LockedPack | undefined {
  return lock.packs.find((p) => p.id === id && p.version === version);
}

export async function readLockFile(paths: HomePaths, source: string): Promise<ReconcileLock | undefined> {
  const path = sourceLockPath(paths, source);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseLock(text, path);
}

export async function writeLockFile(paths: HomePaths, source: string, lock: ReconcileLock): Promise<void> {
  await writeFileAtomic(sourceLockPath(paths, source), JSON.stringify(lock, null, 2) + '\n');
}

/** Stores the lock as a referrer of the catalog artifact (so `save --all` carries it). Returns its manifest. */
export async function storeLock(store: Store, lock: ReconcileLock, catalog: Descriptor): Promise<Descriptor> {
  const a = lockArtifact(lock, catalog);
  for (const [d, body] of a.blobs) if (!(await store.exists(d))) await store.push(d, Readable.from([body]));
  await store.push(a.descriptor, Readable.from([a.manifestBytes]));
  return a.descriptor;
}

/**
 * The newest lock stored as a referrer of `catalog`: carried in by `load`, or mirrored with an `oci` source's
 * catalog (a site's `publish` writes one beside the catalog it generates), if any.
 */
export async function findStoredLock(store: Store, catalog: Descriptor): Promise<ReconcileLock | undefined> {
  let newest: ReconcileLock | undefined;
  for (const r of await store.referrers(catalog)) {
    if (r.artifactType !== undefined && r.artifactType !== MediaType.reconcileLock) continue;
    const lock = await readLockArtifact(store, r);
    if (lock && (!newest || lock.createdAt > newest.createdAt)) newest = lock;
  }
  return newest;
}
