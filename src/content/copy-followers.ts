import type { Descriptor } from '../oci/descriptor.js';
import { isGraphNodeType } from '../oci/media-types.js';
import { slim, type CopyRun } from './copy-run.js';
import type { CopyOptions, RootToCopy } from './copy-types.js';
import { Limiter } from './limiter.js';
import { hasReferrers } from './target.js';

type Found = { refs: Descriptor[]; found: RootToCopy[] };
const NOTHING: Found = Object.freeze({ refs: [], found: [] }) as unknown as Found;

/**
 * What follows a copied graph node without being its child: its referrers (signatures, attestations) when wanted,
 * and the caller's companions (legacy `.sig` tags). Each is copied with the same walk once the node itself is in,
 * so a signature never lands before what it signs; companions are tagged before the roots.
 */
export class Followers {
  /** Companions found, to be tagged (before the roots). */
  readonly companionRoots: RootToCopy[] = [];
  readonly #run: CopyRun;
  readonly #visit: (d: Descriptor, depth: number) => Promise<void>;
  readonly #known: (digest: string) => boolean;
  readonly #wantsReferrers: boolean;
  readonly #companions: CopyOptions['companions'];
  /**
   * Discoveries and lookups still running: a settled one is dropped (a 10,000-pack load keeps no promise, result or
   * array per node once its lookup found nothing); the first discovery that failed is kept for settle().
   */
  readonly #running = new Set<Promise<unknown>>();
  readonly #discovering = new Set<Promise<void>>();
  #failed: { error: unknown } | undefined;
  readonly #discovered = new Set<string>();
  /** Lookups running or that found something, by digest; one that found nothing is answered by #nothing. */
  readonly #lookups = new Map<string, Promise<Found>>();
  readonly #lookupSlots: Limiter;
  /** Graph nodes whose lookups are done and found nothing (every one, when none are wanted). */
  readonly #nothing = new Set<string>();

  /** `visit` is the walk's; `known` tells whether the walk visited a digest already. */
  constructor(
    run: CopyRun,
    opts: CopyOptions,
    visit: (d: Descriptor, depth: number) => Promise<void>,
    known: (digest: string) => boolean,
  ) {
    this.#run = run;
    this.#visit = visit;
    this.#known = known;
    this.#wantsReferrers = opts.includeReferrers === true && hasReferrers(run.src);
    this.#companions = opts.companions;
    this.#lookupSlots = new Limiter(opts.concurrency ?? 4);
  }

  /** True once graph node `digest` is known to have nothing following it. */
  nothingFollows(digest: string): boolean {
    return this.#nothing.has(digest);
  }

  /**
   * Copies what follows graph node `n` once `n` itself is copied. The lookup starts at once, beside the node's
   * own transfer; a failure stops the rest at once (the roots' walk then ends and the failure is thrown).
   */
  discover(n: Descriptor, depth: number): void {
    if (!this.#wantsReferrers && !this.#companions) {
      this.#nothing.add(n.digest);
      return;
    }
    if (this.#discovered.has(n.digest)) return;
    this.#discovered.add(n.digest);
    const p = (async () => {
      const { refs, found } = await this.#lookup(n, depth);
      await this.#visit(n, depth);
      await Promise.all([
        ...refs.map((r) => this.#follow(r, depth)),
        ...found.map((c) => {
          this.companionRoots.push(c);
          return this.#follow(c.root, depth);
        }),
      ]);
    })();
    p.catch(this.#run.failure.fail);
    this.#discovering.add(p);
    this.#track(p, (failure) => {
      this.#discovering.delete(p);
      this.#failed ??= failure;
    });
  }

  /** Keeps `p` among the running until it settles, then runs `done` with its failure, if any. */
  #track(p: Promise<unknown>, done: (failure?: { error: unknown }) => void): void {
    this.#running.add(p);
    p.then(
      () => {
        this.#running.delete(p);
        done();
      },
      (error: unknown) => {
        this.#running.delete(p);
        done({ error });
      },
    );
  }

  /** Resolves once every discovery is done (discoveries add graph nodes whose discoveries may add more); rejects with the first failure. */
  async settle(): Promise<void> {
    while (this.#discovering.size > 0) await Promise.allSettled([...this.#discovering]);
    if (this.#failed) throw this.#failed.error;
  }

  /** Settles once every discovery and lookup started so far has. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.#running]);
  }

  #follow(d: Descriptor, depth: number): Promise<void> {
    if (!this.#known(d.digest)) this.#run.stats.referrers++;
    return this.#visit(d, depth + 1);
  }

  /**
   * A graph node's referrers (and companions), looked up once per digest. Lookups have slots of their own, so a
   * destination slow to write (a store fsyncing each manifest) never holds back finding what the walk must
   * copy; what a lookup finds is counted against the limits and looked up in turn at once, so a source that
   * makes the graph endless is stopped at the speed it answers, not at the speed the destination writes.
   */
  #lookup(n: Descriptor, depth: number): Promise<Found> {
    if (this.#nothing.has(n.digest)) return Promise.resolve(NOTHING);
    let p = this.#lookups.get(n.digest);
    if (!p) {
      const started = this.#lookupSlots.run(() => this.#lookupNow(n, depth));
      p = started;
      this.#lookups.set(n.digest, started);
      this.#track(started, () => {
        if (this.#nothing.has(n.digest)) this.#lookups.delete(n.digest);
      });
    }
    return p;
  }

  async #lookupNow(n: Descriptor, depth: number): Promise<Found> {
    const { src, io, budget } = this.#run;
    io.signal?.throwIfAborted();
    // a lister that takes no limits (an archive, a layout directory) is held to them here all the same
    const refs = (this.#wantsReferrers && hasReferrers(src) ? await src.referrers(n, io) : []).map(slim);
    const found = this.#companions ? await this.#companions(n, io) : [];
    const follow = [...refs, ...found.map((c) => c.root)];
    if (follow.length === 0) this.#nothing.add(n.digest);
    budget.referrers(n, follow, depth);
    for (const r of follow) if (isGraphNodeType(r.mediaType)) this.#lookup(r, depth + 1).catch(this.#run.failure.fail);
    return { refs, found };
  }
}
