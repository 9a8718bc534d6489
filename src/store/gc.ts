import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../fs/atomic-write.js';
import { isDigest } from '../oci/digest.js';
import { Annotation } from '../oci/media-types.js';
import { withIndexLock } from './index-file.js';
import { markReachable } from './mark.js';
import type { Store } from './store-target.js';

export interface GcOptions {
  dryRun?: boolean;
  /** Blobs and temp files younger than this are kept: a concurrent pull may not have tagged them yet. */
  graceMs: number;
  now?: number;
  /** Scratch directories beside the store whose entries are temp files too (`$SCRYDON_HOME/tmp`: builds, spools). */
  tempDirs?: readonly string[];
}

export interface GcStep {
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
  cleanedTemp: number;
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
    if (pid <= 1 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') return true; // alive, another user's
    }
  }
  return false;
}

/**
 * Deletes blobs unreachable from any tag (keeping referrers of reachable manifests), drops index.json
 * entries of unreachable referrers, and clears stale temp files, as timed steps. Holds the index lock
 * throughout so no tag moves under it; skips anything younger than the grace window.
 */
export async function gc(store: Store, o: GcOptions): Promise<GcReport> {
  const now = o.now ?? Date.now();
  const dryRun = o.dryRun ?? false;
  const steps: GcStep[] = [];
  const report: GcReport = { dryRun, reachableBlobs: 0, removed: [], freedBytes: 0, removedEntries: [], keptYoung: 0, cleanedTemp: 0, steps };
  const young = (mtimeMs: number) => now - mtimeMs < o.graceMs;

  await withIndexLock(store.paths, async (idx, write) => {
    const marked = await timed(steps, 'mark', () => markReachable(store, idx));
    report.reachableBlobs = marked.reachable.size;

    const youngBlobs = new Set<string>();
    await timed(steps, 'sweep-blobs', async () => {
      for (const hex of await readdir(store.paths.blobsDir)) {
        const digest = `sha256:${hex}`;
        if (!isDigest(digest) || marked.reachable.has(digest)) continue;
        const path = join(store.paths.blobsDir, hex);
        const st = await lstat(path);
        if (young(st.mtimeMs)) {
          report.keptYoung++;
          youngBlobs.add(digest);
          continue;
        }
        report.removed.push({ digest, size: st.size });
        report.freedBytes += st.size;
        if (!dryRun) await unlink(path);
      }
      if (!dryRun && report.removed.length > 0) await fsyncDir(store.paths.blobsDir);
    });

    await timed(steps, 'prune-index', async () => {
      // untagged entries stay while they are live referrers, or while their blob is too young to judge
      const keep = idx.manifests.filter(
        (m) => m.annotations?.[Annotation.refName] !== undefined || marked.liveReferrerEntries.has(m.digest) || youngBlobs.has(m.digest),
      );
      report.removedEntries = idx.manifests.filter((m) => !keep.includes(m)).map((m) => m.digest);
      if (!dryRun && keep.length !== idx.manifests.length) await write({ ...idx, manifests: keep });
    });
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
