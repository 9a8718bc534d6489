import { stat } from 'node:fs/promises';
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { Annotation } from '../oci/media-types.js';
import type { Store } from '../store/store-target.js';
import { servedName } from '../names/served.js';

/** One store tag as served: its store ref, the repository and tag it appears under, its manifest. */
export interface ServedTag {
  ref: string;
  repository: string;
  tag: string;
  descriptor: Descriptor;
}

/** What index.json said at one moment, arranged for serving. Immutable once built. */
export interface Snapshot {
  /** repository → tag → manifest descriptor. */
  repositories: ReadonlyMap<string, ReadonlyMap<string, Descriptor>>;
  /** Every manifest listed in index.json by digest (tagged or a referrer), with its media type. */
  manifests: ReadonlyMap<string, Descriptor>;
  tags: readonly ServedTag[];
  /** Store tags that no repository name can express (an IPv6 registry). */
  unserved: readonly string[];
}

function build(manifests: readonly Descriptor[]): Snapshot {
  const repositories = new Map<string, Map<string, Descriptor>>();
  const byDigest = new Map<string, Descriptor>();
  const tags: ServedTag[] = [];
  const unserved: string[] = [];
  for (const m of manifests) {
    const d = plainDescriptor(m);
    if (!byDigest.has(d.digest)) byDigest.set(d.digest, d);
    const ref = m.annotations?.[Annotation.refName];
    if (ref === undefined) continue;
    const name = servedName(ref);
    if (!name) {
      unserved.push(ref);
      continue;
    }
    let repo = repositories.get(name.repository);
    if (!repo) repositories.set(name.repository, (repo = new Map()));
    if (name.tag === undefined) continue; // a pin: the repository exists, its manifest is served by digest
    repo.set(name.tag, d);
    tags.push({ ref, repository: name.repository, tag: name.tag, descriptor: d });
  }
  return { repositories, manifests: byDigest, tags, unserved };
}

/**
 * index.json, re-read only when it changed. The file is replaced by rename, so a new inode, size or mtime
 * means a new index; the stat is taken before the read, so a cached index is never older than its key (a
 * change in between costs one more read, never a stale answer). Concurrent callers share one read; no lock.
 * Requests that arrive together share one stat too: every get() until the next stat starts (at setImmediate,
 * after the requests parsed in this turn of the event loop) waits for that stat, which is taken after each of
 * them arrived, so each still sees every index written before it came.
 */
export class IndexSnapshots {
  readonly #store: Store;
  #key = '';
  #current: Promise<Snapshot> | undefined;
  #nextCheck: Promise<Snapshot> | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  get(): Promise<Snapshot> {
    this.#nextCheck ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#nextCheck = undefined;
      return this.#check();
    });
    return this.#nextCheck;
  }

  async #check(): Promise<Snapshot> {
    const st = await stat(this.#store.paths.index, { bigint: true }).catch(() => undefined);
    const key = st ? `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : 'absent';
    if (key !== this.#key || !this.#current) {
      this.#key = key;
      const next = this.#store.index().then((idx) => build(idx.manifests));
      next.catch(() => {
        if (this.#current === next) this.#key = '';
      });
      this.#current = next;
    }
    return this.#current;
  }
}
