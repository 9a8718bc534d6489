import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { HomePaths } from '../config/paths.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { descriptorOf, plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { encodeJson, type ImageManifest } from '../oci/manifest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import { readNode } from '../pack/read.js';
import type { Store } from '../store/store-target.js';
import { sourceLockPath } from './source-state.js';

/**
 * The lock of a source: what its last successful run verified — per pack id, version, manifest digest and
 * signer — and the catalog revision. Kept as `$SCRYDON_HOME/state/<source>.lock.json` and, so that it travels
 * with `save`, as an artifact referring to the catalog artifact in the store. `reconcile --locked` installs
 * exactly these digests or fails.
 */
export interface LockedPack {
  id: string;
  version: string;
  /** Manifest digest. */
  digest: string;
  /** The catalog's artifact: an OCI reference or `git-tar PATH@REF`. */
  artifact: string;
  /** `key <fingerprint>` or `<identity> (issuer <issuer>)`; null when the source allows unsigned packs. */
  signer: string | null;
  /** git-tar: the commit the pack was packed at (`--locked` packs that commit again). */
  revision?: string;
}

export interface ReconcileLock {
  schemaVersion: 1;
  source: { name: string; type: string; url: string; ref: string; catalogPath: string };
  /** The git commit or the catalog manifest digest. */
  revision: string;
  /** The catalog artifact in the store. */
  catalogDigest: string;
  createdAt: string;
  packs: LockedPack[];
}

const MAX_LOCK_BYTES = 8 * 1024 * 1024;

function bad(where: string, why: string): ScrydonError {
  return new ScrydonError('state_invalid', `lock ${where}: ${why}`, {
    hint: 'remove it; the next successful run writes a new one',
  });
}

function parseLock(text: string, where: string): ReconcileLock {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(where, `not JSON (${(e as Error).message})`);
  }
  const l = v as Partial<ReconcileLock> | null;
  if (
    typeof l !== 'object' ||
    l === null ||
    l.schemaVersion !== 1 ||
    typeof l.revision !== 'string' ||
    typeof l.catalogDigest !== 'string' ||
    !Array.isArray(l.packs) ||
    typeof l.source !== 'object' ||
    l.source === null
  ) {
    throw bad(where, 'not a reconcile lock (schemaVersion 1)');
  }
  for (const p of l.packs as unknown[]) {
    const q = p as Partial<LockedPack> | null;
    if (
      typeof q !== 'object' ||
      q === null ||
      typeof q.id !== 'string' ||
      typeof q.version !== 'string' ||
      typeof q.digest !== 'string' ||
      !(q.signer === null || typeof q.signer === 'string')
    ) {
      throw bad(where, 'a pack entry lacks id, version, digest or signer');
    }
  }
  return l as ReconcileLock;
}

/** Two locks that say the same (the time they were written aside). */
export function sameLock(a: ReconcileLock | undefined, b: ReconcileLock): boolean {
  if (!a) return false;
  const strip = (l: ReconcileLock) => JSON.stringify({ ...l, createdAt: '' });
  return strip(a) === strip(b);
}

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
  const bytes = Buffer.from(JSON.stringify(lock, null, 2) + '\n');
  const layer = descriptorOf(MediaType.reconcileLock, bytes);
  const config: Descriptor = { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.byteLength };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.reconcileLock,
    config,
    layers: [layer],
    subject: plainDescriptor(catalog),
  };
  const manifestBytes = encodeJson(manifest);
  const d = descriptorOf(MediaType.ociManifest, manifestBytes, { artifactType: MediaType.reconcileLock });
  if (!(await store.exists(config))) await store.push(config, Readable.from([EMPTY_JSON]));
  if (!(await store.exists(layer))) await store.push(layer, Readable.from([bytes]));
  await store.push(d, Readable.from([manifestBytes]));
  return d;
}

/** The newest lock stored as a referrer of `catalog` (carried in by `load`), if any. */
export async function findStoredLock(store: Store, catalog: Descriptor): Promise<ReconcileLock | undefined> {
  let newest: ReconcileLock | undefined;
  for (const r of await store.referrers(catalog)) {
    if (r.artifactType !== undefined && r.artifactType !== MediaType.reconcileLock) continue;
    const { node } = await readNode(store, r);
    if (node.kind !== 'manifest' || node.manifest.artifactType !== MediaType.reconcileLock) continue;
    const layer = node.manifest.layers.find((l) => l.mediaType === MediaType.reconcileLock);
    if (!layer) continue;
    const bytes = await readAllBounded(
      verified(await store.fetch(layer), layer, store.name),
      MAX_LOCK_BYTES,
      `lock ${layer.digest}`,
    );
    const lock = parseLock(bytes.toString('utf8'), `${r.digest} in the store`);
    if (!newest || lock.createdAt > newest.createdAt) newest = lock;
  }
  return newest;
}
