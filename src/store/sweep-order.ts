import { MAX_MANIFEST_BYTES } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseGraphNode, successors } from '../oci/manifest.js';
import { sniffGraphNode } from './sniff.js';
import type { Store } from './store-target.js';

/**
 * The order gc deletes unreachable blobs in: every manifest or index before the blobs it points at. A gc killed
 * half-way then never leaves a manifest whose children are gone — which a later pull or load would find present,
 * skip with its whole graph, and tag.
 */
export async function parentsFirst<T extends { digest: Digest; size: number }>(
  store: Store,
  blobs: readonly T[],
): Promise<T[]> {
  const byDigest = new Map(blobs.map((b) => [b.digest as string, b]));
  const children = new Map<string, string[]>();
  const parents = new Map<string, number>();
  for (const b of blobs) {
    const kids = (await childDigests(store, b)).filter((c) => byDigest.has(c));
    children.set(b.digest, kids);
    for (const c of kids) parents.set(c, (parents.get(c) ?? 0) + 1);
  }
  const out: T[] = [];
  const ready = blobs.filter((b) => !parents.has(b.digest));
  while (ready.length > 0) {
    const b = ready.pop() as T;
    out.push(b);
    for (const c of children.get(b.digest) ?? []) {
      const left = (parents.get(c) ?? 0) - 1;
      parents.set(c, left);
      if (left === 0) ready.push(byDigest.get(c) as T);
    }
  }
  return out; // digests name content, so there are no cycles: every blob is out
}

/** The digests a blob points at when it is a manifest or an index, else none. */
async function childDigests(store: Store, b: { digest: Digest; size: number }): Promise<string[]> {
  if (b.size > MAX_MANIFEST_BYTES) return [];
  try {
    const node = await sniffGraphNode(store.paths, b.digest);
    return node ? successors(parseGraphNode(node.bytes, node.mediaType, b.digest)).map((d) => d.digest) : [];
  } catch {
    return []; // a link planted under blobs/, or not a valid manifest: it points at nothing
  }
}
