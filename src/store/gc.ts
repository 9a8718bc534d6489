import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../fs/atomic-write.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { Annotation } from '../oci/media-types.js';
import { withIndexLock, type IndexFile } from './index-file.js';
import { scanLeases, withLeaseLock } from './lease.js';
import { markReachable } from './mark.js';
import { NodeCache } from './node-cache.js';
import { processAlive } from '../fs/live-process.js';
import { parentsFirst } from './sweep-order.js';
import type { Store } from './store-target.js';

export interface GcOptions {
  dryRun?: boolean;
  /** Unreachable blobs and temp files younger than this are kept (a writer that holds no lease may not have tagged them yet). */
  graceMs: number;
  now?: number;
  /** Scratch directories beside the store whose entries are temp files too (`$SCRYDON_HOME/tmp`: builds, spools). */
  tempDirs?: readonly string[];
  /**
   * Tags to remove in the same index write as the sweep (`gc --keep-versions`): each entry named `ref` that still
   * names `digest` (a tag moved meanwhile is left alone). Marking treats them as gone, so a dry run reports exactly
   * what untagging and collecting would free.
   */
  untag?: ReadonlyArray<{ ref: string; digest: string }>;
}

interface GcStep {
  name: string;
  ms: number;
}

export interface GcReport {
  dryRun: boolean;
  reachableBlobs: number;
  removed: Array<{ digest: string; size: number }>;
  freedBytes: number;
  removedEntries: string[];
  keptYoung: number;
  /** Blobs no tag reached when gc started, kept because a live writer's lease holds them (or a tag written meanwhile reaches them). */
  keptLeased: number;
  /** Leases of running writers seen while sweeping. */
  leases: number;
  /** Leases of processes that are gone, removed (or, on a dry run, found). */
  expiredLeases: number;
  cleanedTemp: number;
  /** Tags removed by `untag` (on a dry run, that would be). */
  untagged: string[];
  steps: GcStep[];
}

async function timed<T>(steps: GcStep[], name: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    steps.push({ name, ms: Math.round(performance.now() - t) });
  }
}

/** Newest mtime anywhere under `path` (a staging dir is in use while any file in it is still being written). */
async function newestMtime(path: string): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, name)).catch(() => 0));
  return newest;
}

/**
 * Temp names carry the pid of the process that made them (`<hex>-<pid>-<rand>`, `reconcile-<pid>-…`,
 * `.build-<pid>-…`, `git-key-<pid>…`): one whose process is still running is in use, however old it is.
 */
function ownedByLiveProcess(name: string): boolean {
  for (const m of name.matchAll(/(?:^|[-.])(\d{1,10})(?=[-.]|$)/g)) {
    const pid = Number(m[1]);
    if (pid > 1 && pid !== process.pid && processAlive(pid)) return true;
  }
  return false;
}

/**
 * Deletes blobs unreachable from any tag or live lease (keeping referrers of reachable manifests), drops
 * index.json entries of unreachable referrers, and clears stale temp files and expired leases, as timed steps.
 *
 * The slow part (reading every manifest, listing every blob) runs without a lock. Then, holding the index lock
 * and the lease lock (so no tag is written and no lease taken meanwhile), it marks again from the tags and the
 * live leases — reading only manifests that appeared in between — and deletes what is still unreachable,
 * manifests before what they point at. Anything younger than the grace window is kept.
 */
export async function gc(store: Store, o: GcOptions): Promise<GcReport> {
  const now = o.now ?? Date.now();
  const dryRun = o.dryRun ?? false;
  const steps: GcStep[] = [];
  const report: GcReport = {
    dryRun,
    reachableBlobs: 0,
    removed: [],
    freedBytes: 0,
    removedEntries: [],
    keptYoung: 0,
    keptLeased: 0,
    leases: 0,
    expiredLeases: 0,
    cleanedTemp: 0,
    untagged: [],
    steps,
  };
  const untag = new Map((o.untag ?? []).map((u) => [u.ref, u.digest]));
  const untagged = (m: Descriptor) => {
    const ref = m.annotations?.[Annotation.refName];
    return ref !== undefined && untag.get(ref) === m.digest;
  };
  const withoutUntagged = (idx: IndexFile): IndexFile =>
    untag.size === 0 ? idx : { ...idx, manifests: idx.manifests.filter((m) => !untagged(m)) };
  // a grace of 0 is "now": a file stamped ahead of the clock is not young (proper-lockfile stamps the first lock a
  // process takes up to a second ahead, so a killed load's lock directory would outlive `gc --grace 0`)
  const young = (mtimeMs: number) => o.graceMs > 0 && now - mtimeMs < o.graceMs;
  // what gc learnt last time, by digest; both marks add to it
  const cache = await NodeCache.load(store.paths);

  const first = await timed(steps, 'mark', async () =>
    markReachable(store, withoutUntagged(await store.index()), { cache }),
  );
  const candidates: Array<{ digest: Digest; size: number }> = [];
  const youngBlobs = new Set<string>();
  await timed(steps, 'scan-blobs', async () => {
    for (const hex of await readdir(store.paths.blobsDir)) {
      const digest = `sha256:${hex}`;
      if (!isDigest(digest) || first.reachable.has(digest)) continue;
      const st = await lstat(join(store.paths.blobsDir, hex)).catch(() => undefined);
      if (!st) continue;
      if (young(st.mtimeMs)) youngBlobs.add(digest);
      else candidates.push({ digest, size: st.size });
    }
  });
  const order = await timed(steps, 'order', () => parentsFirst(store, candidates));
  // what the second mark reached: the node cache keeps entries of these (and of blobs too young to judge)
  let reached: ReadonlySet<string> = new Set();

  await withIndexLock(store.paths, (current, write) =>
    withLeaseLock(store.paths, async () => {
      report.untagged = current.manifests.filter(untagged).map((m) => m.annotations?.[Annotation.refName] ?? '');
      const idx = withoutUntagged(current);
      const leases = await timed(steps, 'leases', () => scanLeases(store.paths, { removeExpired: !dryRun }));
      report.leases = leases.live;
      report.expiredLeases = leases.expired;
      const marked = await timed(steps, 'remark', () => markReachable(store, idx, { leased: leases.held, cache }));
      report.reachableBlobs = marked.reachable.size;
      reached = marked.reachable;

      await timed(steps, 'sweep-blobs', async () => {
        for (const c of order) {
          if (marked.reachable.has(c.digest)) {
            report.keptLeased++;
            continue;
          }
          const path = store.paths.blob(c.digest);
          const st = await lstat(path).catch(() => undefined);
          if (!st) continue; // another gc took it
          if (young(st.mtimeMs)) {
            youngBlobs.add(c.digest); // written again since the scan, by a writer that holds no lease
            continue;
          }
          report.removed.push(c);
          report.freedBytes += c.size;
          if (!dryRun) await unlink(path);
        }
        report.keptYoung = [...youngBlobs].filter((d) => !marked.reachable.has(d)).length;
        if (!dryRun && report.removed.length > 0) await fsyncDir(store.paths.blobsDir);
      });

      await timed(steps, 'prune-index', async () => {
        // untagged entries stay while something live reaches them (a referrer of a kept manifest, a lease), or
        // while their blob is too young to judge
        const keep = idx.manifests.filter(
          (m) =>
            m.annotations?.[Annotation.refName] !== undefined ||
            marked.reachable.has(m.digest) ||
            youngBlobs.has(m.digest),
        );
        const kept = new Set(keep);
        report.removedEntries = idx.manifests.filter((m) => !kept.has(m)).map((m) => m.digest);
        if (!dryRun && keep.length !== current.manifests.length) await write({ ...idx, manifests: keep });
      });
    }),
  );

  // a dry run changes nothing in the store, not even the derived cache
  if (!dryRun)
    await timed(steps, 'save-node-cache', async () => {
      await cache.save((digest) => reached.has(digest) || youngBlobs.has(digest));
    });

  await timed(steps, 'clean-temp', async () => {
    for (const dir of [store.paths.ingest, ...(o.tempDirs ?? [])]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const path = join(dir, name);
        if (ownedByLiveProcess(name)) continue;
        const newest = await newestMtime(path).catch(() => now);
        if (young(newest)) continue;
        report.cleanedTemp++;
        if (!dryRun) await rm(path, { recursive: true, force: true });
      }
    }
  });
  return report;
}
