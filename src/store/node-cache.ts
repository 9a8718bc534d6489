import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { LayoutPaths } from './layout.js';

/**
 * What `ls` and `gc` need of a manifest (or index), by its digest: its children, its subject, and what `ls` shows
 * of it. Content never changes under its digest, so an entry is never stale, whoever rewrites index.json (skopeo,
 * umoci, oras): a digest the file lacks is read from the store as before and added. The file
 * (`scrydon-node-cache.json` in the layout) is derived and rebuildable, never the source of truth: deleted,
 * truncated or damaged (its first line is the sha256 of the rest) it reads as empty; it is replaced atomically.
 */
export interface NodeFacts {
  children: readonly Descriptor[];
  subject?: string | undefined;
  /** What `ls` shows, once something has listed it: pack id and version (null: not a pack). */
  listed?: { artifactType: string | null; id: string | null; version: string | null; created: string | null };
}

type Child = [mediaType: string, digest: Digest, size: number];
interface StoredFacts {
  c: Child[];
  s?: string;
  l?: [artifactType: string | null, id: string | null, version: string | null, created: string | null];
}
interface CacheFile {
  v: 1;
  nodes: Record<string, StoredFacts>;
}

const FILE = 'scrydon-node-cache.json';

export class NodeCache {
  readonly #path: string;
  readonly #nodes: Map<string, StoredFacts>;
  #changed = false;

  private constructor(path: string, nodes: Map<string, StoredFacts>) {
    this.#path = path;
    this.#nodes = nodes;
  }

  /** The store's cache as last written, or an empty one when it is absent or damaged. */
  static async load(paths: LayoutPaths): Promise<NodeCache> {
    const path = join(paths.root, FILE);
    return new NodeCache(path, await readNodes(path));
  }

  get(digest: string): NodeFacts | undefined {
    const s = this.#nodes.get(digest);
    if (!s) return undefined;
    const facts: NodeFacts = { children: s.c.map(([mediaType, d, size]) => ({ mediaType, digest: d, size })) };
    if (s.s !== undefined) facts.subject = s.s;
    if (s.l) facts.listed = { artifactType: s.l[0], id: s.l[1], version: s.l[2], created: s.l[3] };
    return facts;
  }

  set(digest: string, facts: NodeFacts): void {
    const s: StoredFacts = { c: facts.children.map((c) => [c.mediaType, c.digest, c.size]) };
    if (facts.subject !== undefined) s.s = facts.subject;
    const l = facts.listed;
    if (l) s.l = [l.artifactType, l.id, l.version, l.created];
    this.#nodes.set(digest, s);
    this.#changed = true;
  }

  digests(): IterableIterator<string> {
    return this.#nodes.keys();
  }

  /**
   * Writes the cache if it changed, keeping only the digests `keep` says (what the store still holds). Best
   * effort: a store that cannot be written (read-only home) is simply read again next time.
   */
  async save(keep: (digest: string) => boolean): Promise<void> {
    for (const d of [...this.#nodes.keys()]) {
      if (!keep(d)) {
        this.#nodes.delete(d);
        this.#changed = true;
      }
    }
    if (!this.#changed) return;
    const body = JSON.stringify({ v: 1, nodes: Object.fromEntries(this.#nodes) } satisfies CacheFile);
    await writeFileAtomic(this.#path, `${sha256(body)}\n${body}`).catch(() => undefined);
    this.#changed = false;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function readNodes(path: string): Promise<Map<string, StoredFacts>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const nl = text.indexOf('\n');
  const body = text.slice(nl + 1);
  if (nl !== 64 || text.slice(0, 64) !== sha256(body)) return new Map();
  try {
    const file = JSON.parse(body) as Partial<CacheFile>;
    if (file.v !== 1 || typeof file.nodes !== 'object' || file.nodes === null) return new Map();
    return new Map(Object.entries(file.nodes));
  } catch {
    return new Map();
  }
}
