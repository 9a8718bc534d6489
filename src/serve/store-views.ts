import { storedPackJson } from '../install/check-dependencies.js';
import type { ListEntry } from '../pack/list.js';
import { listStore } from '../pack/list.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Store } from '../store/store-target.js';
import { countStoredSignatures } from './signature-status.js';
import type { IndexSnapshots, Snapshot } from './snapshot.js';

/**
 * What the page's API reads of the store more than once, kept for the life of `serve`:
 * - the listing `ls` shows (pack/list.ts), once per index.json (a new index is a new snapshot, so a new listing);
 * - each pack's pack.json dependencies by manifest digest (content-addressed, so never stale);
 * - how many signatures the store holds for each digest, once per index.json (signatures are found through it).
 * A failed read is not kept: the next request reads again.
 */
export class StoreViews {
  readonly store: Store;
  readonly #snapshots: IndexSnapshots;
  readonly #listings = new WeakMap<Snapshot, Promise<ListEntry[]>>();
  readonly #dependencies = new Map<string, Promise<Readonly<Record<string, string>> | null>>();
  readonly #signatureCounts = new WeakMap<Snapshot, Map<string, Promise<number>>>();

  constructor(store: Store, snapshots: IndexSnapshots) {
    this.store = store;
    this.#snapshots = snapshots;
  }

  async entries(): Promise<ListEntry[]> {
    const s = await this.#snapshots.get();
    let p = this.#listings.get(s);
    if (!p) {
      p = listStore(this.store);
      this.#listings.set(s, p);
      p.catch(() => this.#listings.delete(s));
    }
    return p;
  }

  /**
   * pack.json's `dependencies` of the pack stored as `digest`; null for what does not read as a pack. The manifest
   * is read by its descriptor in index.json (the snapshot's), so no read resolves a name again.
   */
  dependencies(digest: string): Promise<Readonly<Record<string, string>> | null> {
    let p = this.#dependencies.get(digest);
    if (!p) {
      p = this.#snapshots
        .get()
        .then((s) => s.manifests.get(digest) ?? digest)
        .then((d) => storedPackJson(this.store, d))
        .then((pj) => (pj ? (pj.dependencies ?? {}) : null));
      this.#dependencies.set(digest, p);
      p.catch(() => this.#dependencies.delete(digest));
    }
    return p;
  }

  /** countStoredSignatures, kept while index.json is unchanged (a new signature changes index.json). */
  async signatureCount(d: Descriptor): Promise<number> {
    const s = await this.#snapshots.get();
    let counts = this.#signatureCounts.get(s);
    if (!counts) this.#signatureCounts.set(s, (counts = new Map()));
    let p = counts.get(d.digest);
    if (!p) {
      p = countStoredSignatures(this.store, d);
      counts.set(d.digest, p);
      const kept = counts;
      p.catch(() => kept.delete(d.digest));
    }
    return p;
  }
}
