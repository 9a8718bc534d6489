import type { CopyStats, RootToCopy } from '../content/copy.js';
import { slim } from '../content/copy-run.js';
import type { EventSink } from '../content/events.js';
import type { IoOptions } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, successors } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import type { ArchiveWriter } from '../archive/archive-writer.js';
import { SMALL_BLOB_BYTES } from '../store/small-blob.js';
import type { Store } from '../store/store-target.js';

/**
 * `save --all`'s walk, when the store alone is saved (saveArchive picks it): the archive the copy routine writes —
 * each blob once, children before their manifest, a manifest's referrers after it (also when the inventory leaves the
 * manifest out), what the inventory excludes skipped with its subtree, the tags last — from one plain walk. A small
 * blob is read whole in one synchronous call and checked with one hash call: no stream, limiter slot or chain of
 * promises per blob, which is what a store of thousands of small packs spent its time on. A large blob is streamed
 * and verified as the copy streams it. `store` is a snapshot (one index.json for the whole walk).
 */
export async function saveStoreBulk(
  store: Store,
  writer: ArchiveWriter,
  roots: readonly RootToCopy[],
  o: IoOptions & { onEvent?: EventSink | undefined } = {},
): Promise<CopyStats> {
  const stats: CopyStats = { copied: 0, skipped: 0, bytes: 0, referrers: 0, mounted: 0 };
  const seen = new Set<string>();
  const copyOne = async (d: Descriptor): Promise<void> => {
    if (!isGraphNodeType(d.mediaType)) {
      if (d.size <= SMALL_BLOB_BYTES) await writer.pushVerified(d, store.readSmallVerified(d));
      else await writer.push(d, await store.fetch(d, o));
      return;
    }
    const bytes = d.size <= SMALL_BLOB_BYTES ? store.readSmallVerified(d) : await store.fetchBytes(d);
    const node = parseGraphNode(bytes, d.mediaType, `${store.name}: ${d.digest}`);
    for (const c of successors(node)) await visit(slim(c));
    await writer.pushVerified(d, bytes, node);
  };
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    o.signal?.throwIfAborted();
    if (writer.holds(d.digest)) {
      stats.skipped++;
      o.onEvent?.({ type: 'skipped', descriptor: d });
    } else {
      o.onEvent?.({ type: 'start', descriptor: d });
      await copyOne(d);
      stats.copied++;
      stats.bytes += d.size;
      o.onEvent?.({ type: 'done', descriptor: d });
    }
    if (!isGraphNodeType(d.mediaType)) return;
    for (const r of await store.referrers(d)) {
      if (!seen.has(r.digest)) stats.referrers++;
      await visit(slim(r));
    }
  };
  for (const { root } of roots) await visit(root);
  for (const { root, tags } of roots) for (const t of tags) await writer.tag(root, t);
  await writer.commit();
  return stats;
}
