import { copyGraphs, type CopyStats } from '../content/copy.js';
import type { EventSink } from '../content/events.js';
import type { IoOptions } from '../content/target.js';
import { removeStaleStaging } from '../store/staging.js';
import type { Store } from '../store/store-target.js';
import { ArchiveReader } from '../archive/archive-reader.js';
import { assertComplete } from '../archive/completeness.js';
import { copyIntoStore } from './into-store.js';
import { storeRefName } from '../names/store.js';
import { recordCarried } from '../signature/carried-receipts.js';
import { checkCarriedFile } from '../signature/carried-receipt-check.js';
import { MAX_RECEIPT_FILE } from '../signature/receipts.js';

export interface LoadOptions extends IoOptions {
  onEvent?: EventSink;
  /** How carried receipts name the archive (default: its path). */
  origin?: string;
}

interface LoadResult extends CopyStats {
  archive: string;
  refs: Array<{ ref: string; digest: string }>;
  /** Roots the archive lists without a name (loaded, but only gc-protected while something refers to them). */
  untagged: string[];
  /** Receipts the archive carried that were new here (kept apart: receipts/carried/). */
  receipts: number;
}

/**
 * Loads an archive into the store, all or nothing: the archive is indexed and checked first (safe entries,
 * oci-layout, index.json, every graph complete here or in the store), then one copy into a staging area
 * verifies every byte, and only then are blobs renamed in and every tag written at once. The receipts the archive
 * carries are checked before anything is written and recorded as carried after the tags.
 */
export async function loadArchive(store: Store, path: string, o: LoadOptions = {}): Promise<LoadResult> {
  await removeStaleStaging(store.paths);
  const reader = await ArchiveReader.open(path, { walkLimits: o.walkLimits });
  try {
    const roots = await reader.roots();
    const refs = roots.flatMap((r) =>
      r.tags.map((t) => ({ ref: storeRefName(t, { digest: r.root.digest }), digest: r.root.digest })),
    );
    // the receipts beside the layout: all checked now, one file at a time; recorded (read again) after the tags
    const receiptFiles = reader.receiptFiles(MAX_RECEIPT_FILE);
    const checked = async (f: (typeof receiptFiles)[number]) =>
      checkCarriedFile({ ...f, bytes: await f.read() }, f.name, reader.name);
    for (const f of receiptFiles) await checked(f);
    await assertComplete(reader, store, store.name);
    const stats = await copyIntoStore(
      store,
      (staging) =>
        copyGraphs(reader, staging, roots, {
          includeReferrers: true,
          signal: o.signal,
          walkLimits: o.walkLimits,
          ...(o.onEvent ? { onEvent: o.onEvent } : {}),
        }),
      { writeThread: true }, // the archive's small blobs arrive as fast as the main thread verifies them
    );
    const untagged = roots.filter((r) => r.tags.length === 0).map((r) => r.root.digest);
    const origin = { archive: o.origin ?? path, loadedAt: new Date().toISOString() };
    let receipts = 0;
    for (const f of receiptFiles) receipts += await recordCarried(store.paths.root, await checked(f), origin);
    return { archive: path, refs, untagged, receipts, ...stats };
  } finally {
    await reader.close();
  }
}
