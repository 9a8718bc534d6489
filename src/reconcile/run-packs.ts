import { isAbortError, isScrydonError, type ErrorCode } from '../errors.js';
import type { LoadedTrust } from '../signature/verify.js';
import type { StorePolicyFiles } from '../install/admission.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { PackJson } from '../pack/pack-json.js';
import { readPack } from '../pack/read.js';
import type { CatalogEntry } from '../sources/catalog-file.js';
import type { SourceSession } from '../sources/session.js';
import type { Store } from '../store/store-target.js';
import type { RunPack } from './history.js';
import { findLocked, type LockedPack, type ReconcileLock } from './lock-file.js';
import { verifyPack, type PackVerification } from './verify-pack.js';

/**
 * One catalog entry through the first two steps of a run: mirror its artifact into the store (fetch_failed),
 * then verify it under the source's policy (verify_failed). A failure is a value (a RunPack), so one pack's
 * failure never stops the others.
 */
type PackStage = 'fetch_failed' | 'parse_failed' | 'verify_failed' | 'install_failed';

export interface Prepared {
  entry: CatalogEntry;
  descriptor: Descriptor;
  packJson: PackJson;
  verification: PackVerification;
  /** git-tar: the commit packed. */
  revision?: string | undefined;
}

export type PrepareResult = { ok: true; value: Prepared } | { ok: false; failure: RunPack };

/** How an entry's artifact reads in messages: its OCI reference, or `git-tar PATH@REF`. */
export function artifactName(e: CatalogEntry): string {
  return e.artifact.kind === 'oci' ? e.artifact.ref : `git-tar ${e.artifact.path}@${e.artifact.ref}`;
}

/** A failure as the run history keeps it: the stage's code, and the underlying code and message as detail. */
export function failed(
  entry: Pick<CatalogEntry, 'id' | 'version'>,
  stage: PackStage,
  e: unknown,
  digest?: string,
): RunPack {
  const code: ErrorCode | undefined = isScrydonError(e) ? e.code : isAbortError(e) ? 'aborted' : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const detail = code && code !== stage ? `${code}: ${message}` : message;
  return {
    id: entry.id,
    version: entry.version,
    outcome: 'failed',
    code: stage,
    detail,
    ...(digest ? { digest } : {}),
  };
}

interface PrepareContext {
  store: Store;
  session: SourceSession;
  trust: LoadedTrust | undefined;
  /** The site's policy.yaml: applied at install on top of the source's policy. */
  storePolicy: StorePolicyFiles;
  lock: ReconcileLock | undefined;
  signal?: AbortSignal | undefined;
}

export async function preparePack(entry: CatalogEntry, c: PrepareContext): Promise<PrepareResult> {
  const src = c.session.source;
  let expect: string | undefined;
  let atRevision: string | undefined;
  let pins: LockedPack['attestations'];
  if (c.lock) {
    const locked = findLocked(c.lock, entry.id, entry.version);
    if (!locked)
      return {
        ok: false,
        failure: failed(
          entry,
          'verify_failed',
          new Error(
            `${entry.id} ${entry.version} is not in the lock of ${src.name} (revision ${c.lock.revision}); --locked installs only locked packs`,
          ),
        ),
      };
    expect = locked.digest;
    atRevision = locked.revision;
    pins = locked.attestations;
  }
  let descriptor: Descriptor;
  let packJson: PackJson;
  try {
    descriptor = await c.session.mirror(entry, expect, atRevision);
    packJson = (await readPack(c.store, descriptor, { signal: c.signal })).packJson;
  } catch (e) {
    // bytes that do not match the lock are a failed check of what was verified before, not a fetch problem
    const stage = expect !== undefined && isScrydonError(e, 'digest_mismatch') ? 'verify_failed' : 'fetch_failed';
    return { ok: false, failure: failed(entry, stage, e) };
  }
  const p = packJson.package;
  if (p.id !== entry.id || p.version !== entry.version) {
    const e = new Error(
      `the catalog lists ${entry.id} ${entry.version}, but ${artifactName(entry)} is ${p.id} ${p.version}`,
    );
    return { ok: false, failure: failed(entry, 'install_failed', e, descriptor.digest) };
  }
  try {
    const verification = await verifyPack(
      c.store,
      descriptor,
      artifactName(entry),
      src,
      entry,
      c.trust,
      c.storePolicy,
      c.signal,
      pins,
    );
    return {
      ok: true,
      value: { entry, descriptor, packJson, verification, revision: c.session.packedAt?.(entry) ?? atRevision },
    };
  } catch (e) {
    return { ok: false, failure: failed(entry, 'verify_failed', e, descriptor.digest) };
  }
}

/**
 * Runs `fn` over `items`, `limit` at a time, in order of start; stops starting new items once `stop` is
 * aborted (the items started finish). Results are in item order; unstarted items are undefined.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  stop?: AbortSignal,
): Promise<Array<R | undefined>> {
  const out: Array<R | undefined> = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop?.aborted) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
