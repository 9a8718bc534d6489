import { join } from 'node:path';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { readDerived, writeDerived } from './derived-file.js';
import type { LayoutPaths } from './layout.js';
import type { MarkCache } from './mark.js';

/**
 * What `gc` needs of a manifest (or index), by its digest: its children and its subject (what `ls` shows lives in
 * list-cache.ts, so `ls` never parses these child lists). Content never changes under its digest, so an entry is
 * never stale, whoever rewrites index.json (skopeo, umoci, oras): a digest the file lacks is read from the store as
 * before and added. The file (`scrydon-node-cache.json` in the layout) is derived and rebuildable, never the source
 * of truth (derived-file.ts: checksummed, read as empty when missing or damaged, replaced atomically). Compact: one
 * flat array, media types as numbers into a table.
 */
export interface NodeFacts {
  children: readonly Descriptor[];
  subject?: string | undefined;
}

interface CacheFile {
  v: 2;
  /** Media types of the children, each once. */
  types: string[];
  /** Per node: digest, subject digest or null, child count n, then n × (type index, digest, size). */
  nodes: Array<string | number | null>;
}

const FILE = 'scrydon-node-cache.json';

/**
 * The cache is itself the mark cache gc's two marks share (mark.ts MarkCache): what they learn is added to its maps,
 * and saved. Blobs the mark met (empty child lists) and subjects of manifests without children are not saved.
 */
export class NodeCache implements MarkCache {
  readonly children: Map<string, readonly Descriptor[]>;
  readonly subjects: Map<string, string | undefined>;
  readonly #path: string;
  #saved: number;

  private constructor(path: string, children: Map<string, readonly Descriptor[]>, subjects: Map<string, string>) {
    this.#path = path;
    this.children = children;
    this.subjects = subjects;
    this.#saved = children.size;
  }

  /** The store's cache as last written, or an empty one when it is absent or damaged. */
  static async load(paths: LayoutPaths): Promise<NodeCache> {
    const path = join(paths.root, FILE);
    const { children, subjects } = decode(await readDerived(path));
    return new NodeCache(path, children, subjects);
  }

  set(digest: string, facts: NodeFacts): void {
    this.children.set(digest, facts.children);
    if (facts.subject !== undefined) this.subjects.set(digest, facts.subject);
  }

  /**
   * Writes the cache if it learnt a manifest, dropping then the entries `keep` refuses (what the store no longer
   * holds). Entries are never changed, only added (content never changes under its digest), so a count tells. A
   * dropped entry is never wrong, only unused: while they are under an eighth of the file, a gc that only removed a
   * few packs leaves them for the next write instead of rewriting the whole file (10,000 packs: 2.5 MB, 8 MiB of
   * peak memory). Best effort.
   */
  async save(keep: (digest: string) => boolean = () => true): Promise<void> {
    let manifests = 0;
    const drop: string[] = [];
    for (const [d, c] of this.children) {
      if (c.length === 0) continue;
      manifests++;
      if (!keep(d)) drop.push(d);
    }
    if (manifests <= this.#saved && drop.length * 8 < manifests) return;
    for (const d of drop) {
      this.children.delete(d);
      this.subjects.delete(d);
    }
    await writeDerived(this.#path, encode(this.children, this.subjects));
    this.#saved = manifests - drop.length;
  }
}

function encode(
  children: ReadonlyMap<string, readonly Descriptor[]>,
  subjects: ReadonlyMap<string, string | undefined>,
): CacheFile {
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const flat: CacheFile['nodes'] = [];
  for (const [digest, list] of children) {
    if (list.length === 0) continue; // a blob
    flat.push(digest, subjects.get(digest) ?? null, list.length);
    for (const c of list) {
      let t = typeIndex.get(c.mediaType);
      if (t === undefined) {
        t = types.push(c.mediaType) - 1;
        typeIndex.set(c.mediaType, t);
      }
      flat.push(t, c.digest, c.size);
    }
  }
  return { v: 2, types, nodes: flat };
}

/** The nodes of a file this version wrote; anything else (an older version's, a damaged one) is empty. */
function decode(file: unknown): { children: Map<string, readonly Descriptor[]>; subjects: Map<string, string> } {
  const children = new Map<string, readonly Descriptor[]>();
  const subjects = new Map<string, string>();
  const empty = () => ({ children: new Map<string, readonly Descriptor[]>(), subjects: new Map<string, string>() });
  const f = file as Partial<CacheFile> | undefined;
  if (f?.v !== 2 || !Array.isArray(f.types) || !Array.isArray(f.nodes)) return empty();
  const { types, nodes } = f;
  for (let i = 0; i < nodes.length;) {
    const digest = nodes[i];
    const subject = nodes[i + 1];
    const n = nodes[i + 2];
    if (
      typeof digest !== 'string' ||
      (subject !== null && typeof subject !== 'string') ||
      typeof n !== 'number' ||
      !Number.isInteger(n) ||
      n < 0 ||
      i + 3 + 3 * n > nodes.length
    )
      return empty();
    // made at its length (a list pushed onto from empty keeps room for 16: 10,000 manifests, 1.2 MB)
    const list = new Array<Descriptor>(n);
    for (let j = 0, k = i + 3; j < n; j++, k += 3) {
      const mediaType = types[nodes[k] as number];
      const d = nodes[k + 1];
      const size = nodes[k + 2];
      if (typeof mediaType !== 'string' || typeof d !== 'string' || typeof size !== 'number') return empty();
      list[j] = { mediaType, digest: d as Digest, size };
    }
    children.set(digest, list);
    if (subject !== null) subjects.set(digest, subject);
    i += 3 + 3 * n;
  }
  return { children, subjects };
}
