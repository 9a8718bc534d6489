import type { Readable } from 'node:stream';
import type { FetchOptions, IoOptions, ReferrerLister, TagLister, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { Lease } from './lease.js';
import type { Store } from './store-target.js';

/**
 * The store as a writer (or a reader that must finish) sees it under a lease: what it finds present, resolves,
 * pushes or tags is held (then looked at again), so gc keeps it (and its graph) until release(). For writers that
 * write straight into the store (build, signing, a git source's catalog); a copy into the store goes through a
 * StagingTarget, which holds its own lease.
 */
export class LeasedStore implements Target, ReferrerLister, TagLister {
  readonly store: Store;
  readonly name: string;
  readonly readsAreLocal = true;
  readonly #lease: Lease;

  constructor(store: Store) {
    this.store = store;
    this.name = store.name;
    this.#lease = new Lease(store.paths);
  }

  /** Holds `ds` without looking at them. */
  hold(ds: readonly Descriptor[]): Promise<void> {
    return this.#lease.hold(ds);
  }

  exists(d: Descriptor): Promise<boolean> {
    return this.#lease.holdPresent(d, () => this.store.exists(d));
  }

  fetch(d: Descriptor, o?: FetchOptions): Promise<Readable> {
    return this.store.fetch(d, o);
  }

  /** Resolves `ref` and holds what it names; `not_found` when that vanished before it was held. */
  async resolve(ref: string): Promise<Descriptor> {
    const d = await this.store.resolve(ref);
    await this.#lease.hold([d]);
    if (!(await this.store.exists(d)))
      throw new ScrydonError('not_found', `${ref} (${d.digest}) left the store ${this.name} while it was being read`, {
        hint: 'another process removed it; retry',
      });
    return d;
  }

  async push(d: Descriptor, body: Readable, o?: IoOptions): Promise<void> {
    try {
      await this.#lease.hold([d]);
    } catch (e) {
      body.destroy();
      throw e;
    }
    await this.store.push(d, body, o);
  }

  async tag(d: Descriptor, ref: string): Promise<void> {
    await this.#lease.hold([d]);
    await this.store.tagHeld(d, ref);
  }

  referrers(d: Descriptor): Promise<Descriptor[]> {
    return this.store.referrers(d);
  }

  tags(): Promise<string[]> {
    return this.store.tags();
  }

  release(): Promise<void> {
    return this.#lease.release();
  }
}

/** Runs `fn` on the store under a lease, released however `fn` ends. */
export async function withLeasedStore<T>(store: Store, fn: (s: LeasedStore) => Promise<T>): Promise<T> {
  const leased = new LeasedStore(store);
  try {
    return await fn(leased);
  } finally {
    await leased.release();
  }
}
