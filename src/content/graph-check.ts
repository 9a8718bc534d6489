import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { limitsWith, WalkBudget } from './limits.js';
import { parseGraphNode, successors } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import { finished } from 'node:stream/promises';
import type { IoOptions, ReadOnlyTarget } from './target.js';
import { readAllBounded, verified } from './verify-stream.js';

export interface GraphCheck {
  /** Distinct blobs (manifests included) read and hashed. */
  blobs: number;
  bytes: number;
}

/**
 * Reads every blob of `root`'s graph (the manifest or index, its children, their configs and layers) through a
 * verifying stream: what a signature over `root` vouches for is really what `target` holds. The first blob that
 * is missing or does not match its descriptor is the error (digest_mismatch, size_mismatch, blob_missing).
 */
export async function checkGraphContent(
  target: ReadOnlyTarget,
  root: Descriptor,
  o: IoOptions = {},
): Promise<GraphCheck> {
  const seen = new Set<string>();
  const out: GraphCheck = { blobs: 0, bytes: 0 };
  const budget = new WalkBudget(
    target.admitted === true ? undefined : limitsWith(o.walkLimits),
    `checking ${root.digest} in ${target.name}`,
  );
  budget.know(root);
  const walk = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    o.signal?.throwIfAborted();
    if (isGraphNodeType(d.mediaType)) budget.read(d);
    const body = verified(await target.fetch(d, o), d, target.name);
    if (isGraphNodeType(d.mediaType)) {
      const bytes = await readAllBounded(body, MAX_MANIFEST_BYTES, `manifest ${d.digest}`);
      out.blobs++;
      out.bytes += d.size;
      const children = successors(parseGraphNode(bytes, d.mediaType, `${target.name}: ${d.digest}`));
      budget.children(d, children);
      for (const child of children) await walk(child);
      return;
    }
    await finished(body.resume()); // read to the end: the verifying stream fails at EOF on bytes that do not match
    out.blobs++;
    out.bytes += d.size;
  };
  await walk(root);
  return out;
}
