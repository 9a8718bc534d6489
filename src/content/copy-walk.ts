import type { Readable } from 'node:stream';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, successors } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import { BufferBody, readVerified } from './buffer-body.js';
import { slim, type CopyRun } from './copy-run.js';
import { Limiter } from './limiter.js';
import { readAllBounded, verified } from './verify-stream.js';

/** Manifests larger than this are read and pushed one at a time. */
const BIG_MANIFEST_BYTES = 1024 * 1024;

/** Children of one manifest or index visited at once. */
const CHILD_WINDOW = 64;

/** What visit() returns for a digest whose copy is done. */
const DONE: Promise<void> = Promise.resolve();

/** The special cases of a copy (copy-strategies.ts, copy-followers.ts), called by the plain walk at fixed points. */
export interface WalkHooks {
  /** A graph node is visited (once per digest), before the destination is asked whether it has it. */
  onNode(d: Descriptor, depth: number): void;
  /** Starts `read` of manifest `d` before the destination answers whether it has it; undefined: read it only if needed. */
  readEarly(d: Descriptor, read: () => Promise<Buffer>): Promise<Buffer> | undefined;
  /** True when manifest `d` (its children in) is kept to be stored at tagging time instead of pushed now. */
  keep(d: Descriptor, bytes: Buffer): boolean;
  /** True when blob `d` was made present in the destination without its bytes being sent. */
  mount(d: Descriptor): Promise<boolean>;
  /** Blob `d`'s bytes from the source, checked as they stream. */
  fetchBlob(d: Descriptor): Promise<Readable>;
}

/**
 * The plain walk: each digest is visited once, holding a slot of the limiter and counted against the walk budget.
 * What the destination has is skipped with its subtree; a manifest is read, its children are visited (a window at a
 * time, its slot given back meanwhile), then it is pushed; a blob is pushed. The first failure stops the rest.
 */
export class GraphWalk {
  readonly #run: CopyRun;
  readonly #hooks: WalkHooks;
  readonly #limiter: Limiter;
  // a manifest over 1 MiB is read and parsed, and pushed, one at a time: it passes through several copies on its
  // way (response, string, parse; the destination's own), and a hostile source can send many of 4 MiB at once
  readonly #bigSlot = new Limiter(1);
  /** Every digest visited; only the visits still running (or failed) keep their promise. */
  readonly #visited = new Set<string>();
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(run: CopyRun, concurrency: number, hooks: WalkHooks) {
    this.#run = run;
    this.#limiter = new Limiter(concurrency);
    this.#hooks = hooks;
  }

  /** True once `digest` was visited by this walk. */
  knows(digest: string): boolean {
    return this.#visited.has(digest);
  }

  /** Copies `d` (once per digest); `depth` counts the referrer links from a root to it. */
  visit(d: Descriptor, depth: number): Promise<void> {
    const { digest } = d;
    if (this.#visited.has(digest)) return this.#inflight.get(digest) ?? DONE;
    this.#visited.add(digest);
    let p: Promise<void>;
    try {
      this.#run.budget.know(d);
      p = this.#limiter.run(() => this.#copy(d, depth));
    } catch (e) {
      this.#run.failure.fail(e);
      p = Promise.reject(e);
    }
    // a walk of thousands keeps a digest per visit, not a settled promise (a failed one stays: it is the failure)
    this.#inflight.set(digest, p);
    p.then(
      () => this.#inflight.delete(digest),
      () => undefined,
    );
    return p;
  }

  /** Settles once every visit started so far has. */
  settled(): Promise<unknown> {
    return Promise.allSettled(this.#inflight.values());
  }

  /** Copies one node; runs holding a slot of the limiter, which it gives back while it waits for children. */
  async #copy(d: Descriptor, depth: number): Promise<void> {
    const { dst, io, stats } = this.#run;
    const node = isGraphNodeType(d.mediaType);
    try {
      io.signal?.throwIfAborted();
      if (node) this.#hooks.onNode(d, depth);
      const early = node ? this.#hooks.readEarly(d, () => this.#read(d)) : undefined;
      early?.catch(() => undefined); // unused when the destination has it
      if (await dst.exists(d, io)) {
        stats.skipped++;
        this.#run.onEvent?.({ type: 'skipped', descriptor: d });
        return;
      }
      this.#run.onEvent?.({ type: 'start', descriptor: d });
      if (node) await this.#copyManifest(d, depth, early);
      else if (await this.#hooks.mount(d)) {
        stats.mounted++;
        this.#run.onEvent?.({ type: 'done', descriptor: d });
        return;
      } else await dst.push(d, await this.#hooks.fetchBlob(d), io);
      stats.copied++;
      stats.bytes += d.size;
      this.#run.onEvent?.({ type: 'done', descriptor: d });
    } catch (e) {
      this.#run.failure.fail(e);
      throw e;
    }
  }

  async #copyManifest(d: Descriptor, depth: number, early: Promise<Buffer> | undefined): Promise<void> {
    const [bytes, children] = await this.#oneBigAtATime(d, async () => {
      const b = await (early ?? this.#read(d));
      return [b, this.#childrenOf(d, b)] as const;
    });
    this.#limiter.release();
    try {
      await this.#visitChildren(children, depth);
    } finally {
      await this.#limiter.acquire(true); // it holds the manifest's bytes: it goes first
    }
    if (!this.#hooks.keep(d, bytes))
      await this.#oneBigAtATime(d, () =>
        // a body that hands its bytes on whole (no stream), checked again as every pushed body is
        this.#run.dst.push(d, new BufferBody(d, this.#run.src.name, bytes), this.#run.io),
      );
  }

  async #read(d: Descriptor): Promise<Buffer> {
    const { src, budget, io } = this.#run;
    budget.read(d);
    const body = await src.fetch(d, io);
    // one within the limit is read whole as a small blob is (no stream where the body hands its bytes on)
    if (d.size <= MAX_MANIFEST_BYTES) return readVerified(body, d, src.name);
    return readAllBounded(verified(body, d, src.name), MAX_MANIFEST_BYTES, `manifest ${d.digest}`);
  }

  #oneBigAtATime<T>(d: Descriptor, fn: () => Promise<T>): Promise<T> {
    return d.size > BIG_MANIFEST_BYTES ? this.#bigSlot.run(fn) : fn();
  }

  /** The children of manifest `d` (read as `bytes`), held to the fan-out limit, as little as the walk needs of each. */
  #childrenOf(d: Descriptor, bytes: Buffer): Descriptor[] {
    const children = successors(parseGraphNode(bytes, d.mediaType, `${this.#run.src.name}: ${d.digest}`));
    this.#run.budget.children(d, children); // counted as listed, though visited a window at a time
    const { src } = this.#run;
    return children.map((c) => {
      const kept = slim(c);
      if (src.ownDigest) kept.digest = src.ownDigest(kept.digest);
      return kept;
    });
  }

  /**
   * Visits a node's children, at most CHILD_WINDOW at a time (the limiter runs 4 anyway): a wide graph then
   * has a few hundred copies waiting per manifest, not every blob it lists.
   */
  async #visitChildren(children: readonly Descriptor[], depth: number): Promise<void> {
    let i = 0;
    const worker = async (): Promise<void> => {
      for (let c = children[i++]; c; c = children[i++]) await this.visit(c, depth);
    };
    await Promise.all(Array.from({ length: Math.min(CHILD_WINDOW, children.length) }, worker));
  }
}
