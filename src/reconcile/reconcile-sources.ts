import type { HomePaths } from '../config/paths.js';
import type { LoadedTrust } from '../signature/verify.js';
import type { FetchedCatalog, SourceSession } from '../sources/session.js';
import type { Source } from '../sources/source-spec.js';
import type { Store } from '../store/store-target.js';
import type { RunRecord } from './history.js';
import { reconcileSource, type RunOptions } from './run-source.js';
import { acquireReconcileLock } from './store-lock.js';

/**
 * Reconciles sources one after the other under the store's reconcile lock. A session that cannot even be
 * opened (a git cache that cannot be created, a missing credential helper) is that source's fetch_failed run;
 * the other sources still run.
 */
interface ReconcileSourcesDeps {
  paths: HomePaths;
  store: Store;
  root: string;
  trust: LoadedTrust | undefined;
  open: (s: Source) => Promise<SourceSession>;
  /** Wait for another reconcile of this store (true), or fail with reconcile_busy. */
  wait: boolean;
  onWait?: () => void;
  /** Aborts waiting for the lock. */
  signal?: AbortSignal | undefined;
}

/** A session whose every call fails with the error that kept it from opening. */
class FailedSession implements SourceSession {
  constructor(
    readonly source: Source,
    readonly error: unknown,
  ) {}
  probe(): Promise<string> {
    return Promise.reject(this.error);
  }
  catalog(): Promise<FetchedCatalog> {
    return Promise.reject(this.error);
  }
  mirror(): Promise<never> {
    return Promise.reject(this.error);
  }
  async close(): Promise<void> {
    return undefined;
  }
}

export async function reconcileSources(
  sources: readonly Source[],
  d: ReconcileSourcesDeps,
  o: RunOptions,
): Promise<RunRecord[]> {
  const release = await acquireReconcileLock(d.paths, {
    wait: d.wait,
    signal: d.signal,
    ...(d.onWait ? { onWait: d.onWait } : {}),
  });
  const out: RunRecord[] = [];
  try {
    for (const source of sources) {
      if (o.stop?.aborted) break;
      const session = await d.open(source).catch((e: unknown) => new FailedSession(source, e));
      try {
        out.push(await reconcileSource({ paths: d.paths, store: d.store, root: d.root, session, trust: d.trust }, o));
      } finally {
        await session.close();
      }
    }
  } finally {
    await release();
  }
  return out;
}
