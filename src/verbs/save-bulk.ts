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
  const done = (d: Descriptor): undefined => {
    stats.copied++;
    stats.bytes += d.size;
    o.onEvent?.({ type: 'done', descriptor: d });
    return undefined;
  };
  const copyOne = async (d: Descriptor): Promise<void> => {
    if (!isGraphNodeType(d.mediaType)) return writer.push(d, await store.fetch(d, o)); // a large blob: streamed
    const bytes = d.size <= SMALL_BLOB_BYTES ? store.readSmallVerified(d) : await store.fetchBytes(d);
    const node = parseGraphNode(bytes, d.mediaType, `${store.name}: ${d.digest}`);
    for (const c of successors(node)) {
      const later = visit(slim(c));
      if (later) await later; // most children are written at once: no turn of the event loop for them
    }
    await writer.pushVerifiedNow(d, bytes, node);
  };
  const referrersOf = async (d: Descriptor): Promise<void> => {
    for (const r of await store.referrers(d)) {
      if (!seen.has(r.digest)) stats.referrers++;
      await visit(slim(r));
    }
  };
  /**
   * Visits `d` and what hangs off it. A small plain blob (most of a store of small packs) is read, checked and
   * written in place at once, with no promise made for it, unless the archive's buffer must be written out first.
   */
  const visit = (d: Descriptor): Promise<void> | undefined => {
    if (seen.has(d.digest)) return undefined;
    seen.add(d.digest);
    o.signal?.throwIfAborted();
    const graph = isGraphNodeType(d.mediaType);
    if (writer.holds(d.digest)) {
      stats.skipped++;
      o.onEvent?.({ type: 'skipped', descriptor: d });
      return graph ? referrersOf(d) : undefined;
    }
    o.onEvent?.({ type: 'start', descriptor: d });
    if (!graph && d.size <= SMALL_BLOB_BYTES)
      return writer.pushVerifiedNow(d, store.readSmallVerified(d))?.then(() => done(d)) ?? done(d);
    return copyOne(d).then(() => {
      done(d);
      return graph ? referrersOf(d) : undefined;
    });
  };
  for (const { root } of roots) await visit(root);
  for (const { root, tags } of roots) for (const t of tags) await writer.tag(root, t);
  await writer.commit();
  return stats;
}
