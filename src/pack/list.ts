import { createHash } from 'node:crypto';
import type { IoOptions } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { subjectOf, successors } from '../oci/manifest.js';
import { Annotation } from '../oci/media-types.js';
import { isScrydonError } from '../errors.js';
import { readListView, writeListView, type ListRow, type ListView } from '../store/list-cache.js';
import { NodeCache, type NodeFacts } from '../store/node-cache.js';
import type { Store } from '../store/store-target.js';

export interface ListEntry {
  ref: string;
  digest: string;
  mediaType: string;
  artifactType: string | null;
  /** Pack id and version, or null for an artifact that is not a pack (an image, a signature tag). */
  id: string | null;
  version: string | null;
  /** Manifest plus everything it points at directly. */
  size: number;
  created: string | null;
}

/** What a manifest shows, whatever tag names it. */
type Facts = Pick<ListRow, 'childBytes' | 'artifactType' | 'id' | 'version' | 'created'>;

/** Manifests read at once for tags the list view does not know yet. */
const READ_PARALLEL = 16;

/**
 * Every tag in the store with what `ls` shows; `id` filters by pack id. While index.json is what the store's list
 * view (store/list-cache.ts) was made from, the view is the answer; otherwise each manifest the view knows by
 * digest is taken from it and the rest are read. With `remember` (the `ls` command) the view is written again, and
 * the manifests read are added to gc's node cache (store/node-cache.ts). Other callers (install's dependency
 * check, serve) only read them, so a command that refuses changes nothing in the store.
 */
export async function listStore(
  store: Store,
  o: IoOptions & { id?: string; remember?: boolean } = {},
): Promise<ListEntry[]> {
  const [bytes, view] = await Promise.all([store.indexBytes(), readListView(store.paths)]);
  const key = bytes ? createHash('sha256').update(bytes).digest('hex') : null;
  const rows = key !== null && view.index === key ? view.rows : await freshRows(store, bytes, key, view, o);
  const out: ListEntry[] = [];
  for (const r of rows) {
    if (o.id !== undefined && r.id !== o.id) continue;
    out.push({
      ref: r.ref,
      digest: r.digest,
      mediaType: r.mediaType,
      artifactType: r.artifactType,
      id: r.id,
      version: r.version,
      size: r.size + r.childBytes,
      created: r.created,
    });
  }
  return out;
}

/** The rows of index.json as `bytes` says (key: their sha256), from what `view` knows by digest and reads of the rest. */
async function freshRows(
  store: Store,
  bytes: Buffer | undefined,
  key: string | null,
  view: ListView,
  o: IoOptions & { remember?: boolean },
): Promise<ListRow[]> {
  const tagged = await store.tagged(bytes);
  const known = new Map<string, ListRow>(view.rows.map((r) => [r.digest, r]));
  const facts = new Map<string, Facts>();
  const missing: Descriptor[] = [];
  for (const { descriptor } of tagged) {
    const k = known.get(descriptor.digest);
    if (k) facts.set(descriptor.digest, k);
    else if (!facts.has(descriptor.digest)) {
      facts.set(descriptor.digest, PENDING);
      missing.push(descriptor);
    }
  }
  const unsure = new Set<string>();
  if (missing.length > 0) {
    const graph = o.remember ? await NodeCache.load(store.paths) : undefined;
    let next = 0;
    const reader = async (): Promise<void> => {
      for (let i = next++; i < missing.length; i = next++) {
        const read = await readFacts(store, missing[i] as Descriptor, o);
        facts.set(read.digest, read.facts);
        if (read.final) graph?.set(read.digest, read.graph);
        else unsure.add(read.digest);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_PARALLEL, missing.length) }, reader));
    await graph?.save();
  }
  const rows = tagged.map(({ ref, descriptor: d }): ListRow => {
    // the view's own row where the tag still names what it did: a tag of a 10,000-pack store makes one new row
    const same = known.get(d.digest);
    if (same && same.ref === ref && same.mediaType === d.mediaType && same.size === d.size) return same;
    const f = facts.get(d.digest) as Facts;
    return { ref, digest: d.digest, mediaType: d.mediaType, size: d.size, ...pick(f) };
  });
  if (o.remember) {
    // what a missing or damaged blob left unsure is read again next time (the next pull may fix it)
    const sure = unsure.size === 0;
    await writeListView(store.paths, {
      index: sure ? key : null,
      rows: sure ? rows : rows.filter((r) => !unsure.has(r.digest)),
    });
  }
  return rows;
}

const PENDING: Facts = { artifactType: null, id: null, version: null, created: null, childBytes: 0 };

function pick(f: Facts): Facts {
  return { childBytes: f.childBytes, artifactType: f.artifactType, id: f.id, version: f.version, created: f.created };
}

/** Reads what `ls` shows of `d` from the store; final unless a blob is missing or damaged. */
async function readFacts(
  store: Store,
  d: Descriptor,
  o: IoOptions,
): Promise<{ digest: string; facts: Facts; graph: NodeFacts; final: boolean }> {
  // imported here: with the view current (the usual case) nothing is read, and pack reading brings gzip and tar
  const { packSummary, readNode } = await import('./read.js');
  const { descriptor, node } = await readNode(store, d, o);
  let final = true;
  const pack = await packSummary(store, descriptor, o).catch((e: unknown) => {
    // not a pack is final; a missing or damaged blob may be fixed by the next pull
    if (!isScrydonError(e, 'unsupported_media_type')) final = false;
    return null;
  });
  const annotations = node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations;
  const children = successors(node);
  const facts: Facts = {
    artifactType: node.kind === 'manifest' ? (node.manifest.artifactType ?? null) : (node.index.artifactType ?? null),
    id: pack?.id ?? null,
    version: pack?.version ?? null,
    created: annotations?.[Annotation.created] ?? null,
    childBytes: children.reduce((n, c) => n + c.size, 0),
  };
  return { digest: descriptor.digest, facts, graph: { children, subject: subjectOf(node)?.digest }, final };
}
