import { Readable } from 'node:stream';
import { isAbortError, ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, successors } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import type { EventSink } from './events.js';
import { Limiter } from './limiter.js';
import { limitsWith, WalkBudget } from './limits.js';
import { hasReferrers, isCommitter, isMounter, isTaggingPusher, type IoOptions, type ReadOnlyTarget, type Target } from './target.js';
import { readAllBounded, verified } from './verify-stream.js';

export interface CopyOptions extends IoOptions {
  /** Blobs in flight at once (default 4, as oras and containerd use 3–4). */
  concurrency?: number;
  /** Also copy the manifests that refer to each copied manifest (signatures, attestations), recursively. */
  includeReferrers?: boolean;
  /**
   * Tagged manifests that travel with a copied manifest although no `subject` links them (cosign's legacy
   * `sha256-<hex>.sig` tags): asked for each manifest of the walk, copied with the same walk, and tagged in
   * the destination (before the roots) under the tags returned.
   */
  companions?: (node: Descriptor, o: IoOptions) => Promise<RootToCopy[]>;
  /** References to tag the root with in the destination, written last. */
  tags?: readonly string[];
  onEvent?: EventSink;
  /**
   * A repository on the destination's registry that may already hold the blobs (pushing what was pulled from
   * there, or copying within one registry): each blob is first offered to a Mounter destination to mount from it.
   */
  mountFrom?: string;
}

export interface CopyStats {
  copied: number;
  skipped: number;
  bytes: number;
  referrers: number;
  /** Blobs made present by cross-repository mount (no bytes sent). */
  mounted: number;
}

/** Manifests larger than this are read and pushed one at a time (copy's bigSlot). */
const BIG_MANIFEST_BYTES = 1024 * 1024;

/** Children of one manifest or index visited at once (copy's visitChildren). */
const CHILD_WINDOW = 64;

/** What the walk keeps of a descriptor it follows: what names the content (a hostile one's annotations are dropped at once). */
function slim(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

export interface CopyResult extends CopyStats {
  root: Descriptor;
}

/**
 * Resolves `srcRef` in `src` (or takes a resolution the caller already started) and copies its whole graph
 * into `dst`, tagging last.
 */
export async function copy(src: ReadOnlyTarget, srcRef: string | Promise<Descriptor>, dst: Target, opts: CopyOptions = {}): Promise<CopyResult> {
  const root = await (typeof srcRef === 'string' ? src.resolve(srcRef, opts) : srcRef);
  const stats = await copyGraphs(src, dst, [{ root, tags: opts.tags ?? [] }], opts);
  return { root, ...stats };
}

export interface RootToCopy {
  root: Descriptor;
  tags: readonly string[];
}

/**
 * The one copy routine. Walks every root's graph children-first, shares in-flight work by digest, skips
 * subtrees the destination has, verifies every byte, copies referrers with the same walk, tags each root
 * only after its whole graph (and referrers) is in, then commits the destination if it needs that.
 */
export async function copyGraphs(src: ReadOnlyTarget, dst: Target, roots: readonly RootToCopy[], opts: CopyOptions = {}): Promise<CopyStats> {
  const limiter = new Limiter(Math.min(opts.concurrency ?? 4, dst.pushConcurrency ?? Infinity));
  const inflight = new Map<string, Promise<void>>();
  const stats: CopyStats = { copied: 0, skipped: 0, bytes: 0, referrers: 0, mounted: 0 };
  const discoveries: Array<Promise<void>> = [];
  const discovered = new Set<string>();
  const companionRoots: RootToCopy[] = [];
  const emit = opts.onEvent ?? (() => undefined);
  // the first failure stops every transfer still running (as an errgroup would): nothing keeps writing into a
  // destination the caller is about to discard, and that failure (not the aborts it causes) is what is thrown
  const failed = new AbortController();
  const io: IoOptions = { signal: opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal, ...(opts.walkLimits ? { walkLimits: opts.walkLimits } : {}) };
  let firstFailure: unknown;
  const fail = (e: unknown): void => {
    if (failed.signal.aborted) return;
    firstFailure = e;
    failed.abort(e);
  };

  // what a source can make the walk hold is bounded (limits.ts), but for content the store admitted already
  const budget = new WalkBudget(src.admitted === true ? undefined : limitsWith(opts.walkLimits), `copying from ${src.name}`);

  /** Copies `d` (once per digest); `depth` counts the referrer links from a root to it. */
  const visit = (d: Descriptor, depth: number): Promise<void> => {
    let p = inflight.get(d.digest);
    if (!p) {
      try {
        budget.know(d);
        p = limiter.run(() => copyNode(d, depth));
      } catch (e) {
        fail(e);
        p = Promise.reject(e);
      }
      inflight.set(d.digest, p);
    }
    return p;
  };

  const wantsReferrers = opts.includeReferrers === true && hasReferrers(src);
  /** Graph nodes whose referrer and companion lookups are done and found nothing (every one, when none are wanted). */
  const nothingFollows = new Set<string>();
  // a lone tagged root that nothing follows goes to a TaggingPusher with its first tag, at tagging time (still last)
  const tagger = isTaggingPusher(dst) ? dst : undefined;
  const loneRoot = roots.length === 1 && (roots[0]?.tags.length ?? 0) > 0 && tagger ? roots[0]?.root.digest : undefined;
  let loneRootBytes: Buffer | undefined;

  /**
   * A graph node's referrers (and companions), looked up once per digest. Lookups have slots of their own, so a
   * destination slow to write (a store fsyncing each manifest) never holds back finding what the walk must
   * copy; what a lookup finds is counted against the limits and looked up in turn at once, so a source that
   * makes the graph endless is stopped at the speed it answers, not at the speed the destination writes.
   */
  type Found = { refs: Descriptor[]; found: RootToCopy[] };
  const lookups = new Map<string, Promise<Found>>();
  const lookupSlots = new Limiter(opts.concurrency ?? 4);
  const lookupNow = async (n: Descriptor, depth: number): Promise<Found> => {
    io.signal?.throwIfAborted();
    // a lister that takes no limits (an archive, a layout directory) is held to them here all the same
    const refs = (wantsReferrers && hasReferrers(src) ? await src.referrers(n, io) : []).map(slim);
    const found = opts.companions ? await opts.companions(n, io) : [];
    const follow = [...refs, ...found.map((c) => c.root)];
    if (follow.length === 0) nothingFollows.add(n.digest);
    budget.referrers(n, follow, depth);
    for (const r of follow) if (isGraphNodeType(r.mediaType)) lookup(r, depth + 1).catch(fail);
    return { refs, found };
  };
  const lookup = (n: Descriptor, depth: number): Promise<Found> => {
    let p = lookups.get(n.digest);
    if (!p) {
      p = lookupSlots.run(() => lookupNow(n, depth));
      lookups.set(n.digest, p);
    }
    return p;
  };

  /**
   * Copies what refers to graph node `n` with the same walk once `n` itself is copied: a signature never lands
   * before what it signs. The lookup starts at once, beside the node's own transfer.
   */
  const discover = (n: Descriptor, depth: number): void => {
    if (!wantsReferrers && !opts.companions) {
      nothingFollows.add(n.digest);
      return;
    }
    if (discovered.has(n.digest)) return;
    discovered.add(n.digest);
    const p = (async () => {
      const { refs, found } = await lookup(n, depth);
      await visit(n, depth);
      await Promise.all([
        ...refs.map((r) => {
          if (!inflight.has(r.digest)) stats.referrers++;
          return visit(r, depth + 1);
        }),
        ...found.map((c) => {
          if (!inflight.has(c.root.digest)) stats.referrers++;
          companionRoots.push(c);
          return visit(c.root, depth + 1);
        }),
      ]);
    })();
    p.catch(fail); // stops the rest at once; the roots' walk then ends and the failure is thrown
    discoveries.push(p);
  };

  const readManifest = async (d: Descriptor): Promise<Buffer> => {
    budget.read(d);
    return readAllBounded(verified(await src.fetch(d, io), d, src.name), MAX_MANIFEST_BYTES, `manifest ${d.digest}`);
  };

  // a manifest over 1 MiB is read and parsed, and pushed, one at a time: it passes through several copies on its
  // way (response, string, parse; the destination's own), and a hostile source can send many of 4 MiB at once
  const bigSlot = new Limiter(1);
  const oneBigAtATime = <T>(d: Descriptor, fn: () => Promise<T>): Promise<T> => (d.size > BIG_MANIFEST_BYTES ? bigSlot.run(fn) : fn());

  /** The children of manifest `d` (read as `bytes`), held to the fan-out limit, as little as the walk needs of each. */
  const childrenOf = (d: Descriptor, bytes: Buffer): Descriptor[] => {
    const children = successors(parseGraphNode(bytes, d.mediaType, `${src.name}: ${d.digest}`));
    budget.children(d, children); // counted as listed, though visited a window at a time
    return children.map(slim);
  };

  /**
   * Visits a node's children, at most CHILD_WINDOW at a time (the limiter runs 4 anyway): a wide graph then
   * has a few hundred copies waiting per manifest, not every blob it lists.
   */
  const visitChildren = async (children: readonly Descriptor[], depth: number): Promise<void> => {
    let i = 0;
    const worker = async (): Promise<void> => {
      for (let c = children[i++]; c; c = children[i++]) await visit(c, depth);
    };
    await Promise.all(Array.from({ length: Math.min(CHILD_WINDOW, children.length) }, worker));
  };

  /** Copies one node; runs holding a slot of `limiter` (visit), which it gives back while it waits for children. */
  const copyNode = async (d: Descriptor, depth: number): Promise<void> => {
    const node = isGraphNodeType(d.mediaType);
    try {
      io.signal?.throwIfAborted();
      if (node) discover(d, depth);
      // a local source's manifest is read while the destination answers, not after (one wait less per level)
      const early = node && src.localReads === true ? readManifest(d) : undefined;
      early?.catch(() => undefined); // unused when the destination has it
      if (await dst.exists(d, io)) {
        stats.skipped++;
        emit({ type: 'skipped', descriptor: d });
        return;
      }
      emit({ type: 'start', descriptor: d });
      if (node) {
        const [bytes, children] = await oneBigAtATime(d, async () => {
          const b = await (early ?? readManifest(d));
          return [b, childrenOf(d, b)] as const;
        });
        limiter.release();
        try {
          await visitChildren(children, depth);
        } finally {
          await limiter.acquire(true); // it holds the manifest's bytes: it goes first
        }
        if (d.digest === loneRoot && nothingFollows.has(d.digest)) loneRootBytes = bytes;
        else await oneBigAtATime(d, () => dst.push(d, Readable.from([bytes]), io));
      } else if (opts.mountFrom !== undefined && isMounter(dst) && (await dst.mount(d, opts.mountFrom, io))) {
        stats.mounted++;
        emit({ type: 'done', descriptor: d });
        return;
      } else {
        const onBytes = opts.onEvent ? (n: number) => emit({ type: 'progress', descriptor: d, bytes: n }) : undefined;
        // a destination that checks digests itself (a registry) is trusted with that; the size is still checked here
        const sizeOnly = dst.checksDigests === true;
        await dst.push(d, verified(await src.fetch(d, sizeOnly ? { ...io, sizeOnly } : io), d, src.name, onBytes, sizeOnly), io);
      }
      stats.copied++;
      stats.bytes += d.size;
      emit({ type: 'done', descriptor: d });
    } catch (e) {
      fail(e);
      throw e;
    }
  };

  try {
    for (const { root } of roots) await visit(root, 0);
    // discoveries add graph nodes, whose discoveries may add more: wait until no new one starts
    for (let i = 0; i < discoveries.length; i++) await discoveries[i];
    for (const { root, tags } of [...companionRoots, ...roots]) {
      for (const t of tags) {
        const bytes = root.digest === loneRoot ? loneRootBytes : undefined;
        if (bytes && tagger) {
          loneRootBytes = undefined; // stored with the first tag; the others are plain tags
          await tagger.pushTagged(root, bytes, t, io);
        } else await dst.tag(root, t, io);
      }
    }
    if (isCommitter(dst)) await dst.commit(io);
  } catch (e) {
    fail(e);
    await Promise.allSettled([...inflight.values(), ...discoveries, ...lookups.values()]);
    const cause = firstFailure ?? e;
    if (isAbortError(cause)) throw new ScrydonError('aborted', 'interrupted; nothing was tagged', { cause });
    throw cause;
  }
  return stats;
}

