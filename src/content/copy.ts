import { isAbortError, ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { Followers } from './copy-followers.js';
import { FirstFailure, type CopyRun } from './copy-run.js';
import { blobFetch, LoneRootTagging, mountFrom, readEarly } from './copy-strategies.js';
import type { CopyOptions, CopyResult, CopyStats, RootToCopy } from './copy-types.js';
import { GraphWalk } from './copy-walk.js';
import { limitsWith, WalkBudget } from './limits.js';
import { isCommitter, type IoOptions, type ReadOnlyTarget, type Target } from './target.js';

export type { CopyOptions, CopyResult, CopyStats, RootToCopy } from './copy-types.js';

/**
 * Resolves `srcRef` in `src` (or takes a resolution the caller already started) and copies its whole graph
 * into `dst`, tagging last.
 */
export async function copy(
  src: ReadOnlyTarget,
  srcRef: string | Promise<Descriptor>,
  dst: Target,
  opts: CopyOptions = {},
): Promise<CopyResult> {
  const root = await (typeof srcRef === 'string' ? src.resolve(srcRef, opts) : srcRef);
  const stats = await copyGraphs(src, dst, [{ root, tags: opts.tags ?? [] }], opts);
  return { root, ...stats };
}

/**
 * The one copy routine. Walks every root's graph children-first (copy-walk.ts), shares in-flight work by digest,
 * skips subtrees the destination has, verifies every byte, copies referrers and companions with the same walk
 * (copy-followers.ts), tags each root only after its whole graph (and what follows it) is in, then commits the
 * destination if it needs that. The special cases are named strategies (copy-strategies.ts).
 */
export async function copyGraphs(
  src: ReadOnlyTarget,
  dst: Target,
  roots: readonly RootToCopy[],
  opts: CopyOptions = {},
): Promise<CopyStats> {
  const failure = new FirstFailure(opts.signal);
  const io: IoOptions = { signal: failure.signal, ...(opts.walkLimits ? { walkLimits: opts.walkLimits } : {}) };
  const run: CopyRun = {
    src,
    dst,
    io,
    failure,
    // what a source can make the walk hold is bounded (limits.ts), but for content the store admitted already
    budget: new WalkBudget(src.admitted === true ? undefined : limitsWith(opts.walkLimits), `copying from ${src.name}`),
    stats: { copied: 0, skipped: 0, bytes: 0, referrers: 0, mounted: 0 },
    onEvent: opts.onEvent,
  };
  const followers: Followers = new Followers(
    run,
    opts,
    (d, depth): Promise<void> => walk.visit(d, depth),
    (digest): boolean => walk.knows(digest),
  );
  const lone = new LoneRootTagging(dst, roots, (digest): boolean => followers.nothingFollows(digest));
  const walk: GraphWalk = new GraphWalk(run, Math.min(opts.concurrency ?? 4, dst.pushLimit ?? Infinity), {
    onNode: (d, depth) => followers.discover(d, depth),
    readEarly: readEarly(src),
    keep: (d, bytes) => lone.keep(d, bytes),
    mount: mountFrom(dst, opts.mountFrom, io),
    fetchBlob: blobFetch(run),
  });

  try {
    for (const { root } of roots) await walk.visit(root, 0);
    await followers.settle();
    for (const { root, tags } of [...followers.companionRoots, ...roots])
      for (const t of tags) await lone.tag(root, t, io);
    if (isCommitter(dst)) await dst.commit(io);
  } catch (e) {
    failure.fail(e);
    await Promise.allSettled([walk.settled(), followers.settled()]);
    const cause = failure.error ?? e;
    if (isAbortError(cause)) throw new ScrydonError('aborted', 'interrupted; nothing was tagged', { cause });
    throw cause;
  }
  return run.stats;
}
