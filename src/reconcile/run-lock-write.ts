import type { HomePaths } from '../config/paths.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { CatalogEntry } from '../sources/catalog-file.js';
import type { Source } from '../sources/source-spec.js';
import type { Store } from '../store/store-target.js';
import type { RunPack } from './history.js';
import { sameLock } from '../sources/source-lock.js';
import {
  findLocked,
  readLockFile,
  storeLock,
  writeLockFile,
  type LockedPack,
  type ReconcileLock,
} from './lock-file.js';
import { artifactName, type PrepareResult } from './run-packs.js';

/**
 * After a successful run: the lock of what the source's catalog resolved to — every entry's digest, who
 * signed it and which attestation satisfied which rule of the source (packs left unchanged keep the signer the previous lock recorded for that digest). Written only
 * when it says something new, to the state file and as a referrer of the catalog artifact in the store.
 */
export async function writeRunLock(
  d: { paths: HomePaths; store: Store },
  source: Source,
  revision: string,
  catalog: Descriptor,
  entries: readonly CatalogEntry[],
  packs: readonly RunPack[],
  prepared: readonly PrepareResult[],
): Promise<ReconcileLock | undefined> {
  const previous = await readLockFile(d.paths, source.name);
  const signers = new Map<string, string | null>();
  const revisions = new Map<string, string>();
  const attestations = new Map<string, LockedPack['attestations']>();
  for (const r of prepared) {
    if (!r.ok) continue;
    const key = `${r.value.entry.id}@${r.value.descriptor.digest}`;
    signers.set(key, r.value.verification.signer);
    if (r.value.revision) revisions.set(key, r.value.revision);
    if (r.value.verification.attestations.length) attestations.set(key, r.value.verification.attestations);
  }
  const locked: LockedPack[] = [];
  for (const e of entries) {
    const p = packs.find((x) => x.id === e.id && x.version === e.version);
    if (!p?.digest) continue;
    const before = previous ? findLocked(previous, e.id, e.version) : undefined;
    const key = `${e.id}@${p.digest}`;
    const same = before?.digest === p.digest ? before : undefined;
    const signer = signers.has(key) ? (signers.get(key) ?? null) : (same?.signer ?? null);
    const revision = revisions.get(key) ?? same?.revision;
    const satisfied = signers.has(key) ? attestations.get(key) : same?.attestations;
    locked.push({
      id: e.id,
      version: e.version,
      digest: p.digest,
      artifact: artifactName(e),
      signer,
      ...(revision ? { revision } : {}),
      ...(satisfied?.length ? { attestations: satisfied } : {}),
    });
  }
  const lock: ReconcileLock = {
    schemaVersion: 1,
    source: { name: source.name, type: source.type, url: source.url, ref: source.ref, catalogPath: source.catalogPath },
    revision,
    catalogDigest: catalog.digest,
    createdAt: new Date().toISOString(),
    packs: locked,
  };
  if (sameLock(previous, lock)) return previous;
  await writeLockFile(d.paths, source.name, lock);
  await storeLock(d.store, lock, catalog);
  return lock;
}
