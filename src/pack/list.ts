import type { IoOptions } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { subjectOf, successors } from '../oci/manifest.js';
import { Annotation } from '../oci/media-types.js';
import { isScrydonError } from '../errors.js';
import { NodeCache, type NodeFacts } from '../store/node-cache.js';
import { packSummary, readNode } from './read.js';
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

/** Manifests read at once for tags the node cache does not know yet. */
const READ_PARALLEL = 16;

/**
 * Every tag in the store with what `ls` shows; `id` filters by pack id. What each manifest shows comes from the
 * store's node cache (store/node-cache.ts) when it knows the digest; the rest are read, and with `remember` (the
 * `ls` command) added to the cache file. Other callers (install's dependency check, serve) only read it, so a
 * command that refuses changes nothing in the store.
 */
export async function listStore(
  store: Store,
  o: IoOptions & { id?: string; remember?: boolean } = {},
): Promise<ListEntry[]> {
  const tagged = await store.tagged();
  const cache = await NodeCache.load(store.paths);
  const facts = new Map<string, Required<Pick<NodeFacts, 'children' | 'listed'>>>();
  const missing: Descriptor['digest'][] = [];
  for (const { descriptor } of tagged) {
    const known = cache.get(descriptor.digest);
    if (known?.listed) facts.set(descriptor.digest, { children: known.children, listed: known.listed });
    else if (!facts.has(descriptor.digest)) missing.push(descriptor.digest);
  }
  const byDigest = new Map(tagged.map((t) => [t.descriptor.digest, t.descriptor]));
  let next = 0;
  const reader = async (): Promise<void> => {
    for (let i = next++; i < missing.length; i = next++) {
      const d = byDigest.get(missing[i] as Descriptor['digest']);
      if (d) await readFacts(store, d, cache, facts, o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_PARALLEL, missing.length) }, reader));
  // entries of manifests no tag names any more stay while the store has them (gc prunes them)
  if (o.remember) await cache.save(() => true);

  const out: ListEntry[] = [];
  for (const { ref, descriptor } of tagged) {
    const f = facts.get(descriptor.digest);
    if (!f) continue;
    if (o.id !== undefined && f.listed.id !== o.id) continue;
    out.push({
      ref,
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      artifactType: f.listed.artifactType,
      id: f.listed.id,
      version: f.listed.version,
      size: descriptor.size + f.children.reduce((n, c) => n + c.size, 0),
      created: f.listed.created,
    });
  }
  return out;
}

/** Reads what `ls` shows of `d` from the store, and records it in the cache when it is final. */
async function readFacts(
  store: Store,
  d: Descriptor,
  cache: NodeCache,
  facts: Map<string, Required<Pick<NodeFacts, 'children' | 'listed'>>>,
  o: IoOptions,
): Promise<void> {
  const { descriptor, node } = await readNode(store, d, o);
  let final = true;
  const pack = await packSummary(store, descriptor, o).catch((e: unknown) => {
    // not a pack is final; a missing or damaged blob may be fixed by the next pull, so it is read again then
    if (!isScrydonError(e, 'unsupported_media_type')) final = false;
    return null;
  });
  const annotations = node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations;
  const children = successors(node);
  const listed = {
    artifactType: node.kind === 'manifest' ? (node.manifest.artifactType ?? null) : (node.index.artifactType ?? null),
    id: pack?.id ?? null,
    version: pack?.version ?? null,
    created: annotations?.[Annotation.created] ?? null,
  };
  facts.set(descriptor.digest, { children, listed });
  if (final) cache.set(descriptor.digest, { children, subject: subjectOf(node)?.digest, listed });
}
