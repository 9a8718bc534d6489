import type { IoOptions } from '../content/target.js';
import { successors } from '../oci/manifest.js';
import { Annotation } from '../oci/media-types.js';
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

/** Every tag in the store with what `ls` shows; `id` filters by pack id. */
export async function listStore(store: Store, o: IoOptions & { id?: string } = {}): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for (const { ref, descriptor } of await store.tagged()) {
    const { node } = await readNode(store, descriptor, o);
    const pack = await packSummary(store, descriptor, o).catch(() => null);
    if (o.id !== undefined && pack?.id !== o.id) continue;
    const annotations = node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations;
    const artifactType =
      node.kind === 'manifest' ? (node.manifest.artifactType ?? null) : (node.index.artifactType ?? null);
    out.push({
      ref,
      digest: descriptor.digest,
      mediaType: descriptor.mediaType,
      artifactType,
      id: pack?.id ?? null,
      version: pack?.version ?? null,
      size: descriptor.size + successors(node).reduce((n, c) => n + c.size, 0),
      created: annotations?.[Annotation.created] ?? null,
    });
  }
  return out;
}
