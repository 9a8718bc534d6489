import type { ReadOnlyStorage } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isGraphNodeType } from '../oci/media-types.js';
import type { ArchiveReader } from './archive-reader.js';

/**
 * Walks every graph an archive's index.json lists (roots and referrers) and returns the blobs that are
 * neither in the archive nor in `have` (the receiving store). A manifest the store already holds is taken
 * as complete there. Reads only manifests, so it is cheap; it runs before anything is written.
 */
async function missingBlobs(reader: ArchiveReader, have: ReadOnlyStorage): Promise<Descriptor[]> {
  const seen = new Set<string>();
  const missing: Descriptor[] = [];
  const visit = async (d: Descriptor): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (reader.has(d)) {
      if (isGraphNodeType(d.mediaType)) for (const c of (await reader.node(d)).children) await visit(c);
    } else if (!(await have.exists(d))) missing.push(d);
  };
  for (const m of reader.index.manifests) await visit(m);
  return missing;
}

/** Refuses an archive whose graphs are incomplete on this side, naming every missing blob. */
export async function assertComplete(reader: ArchiveReader, have: ReadOnlyStorage, storeName: string): Promise<void> {
  const missing = await missingBlobs(reader, have);
  if (missing.length === 0) return;
  const list = missing.map((d) => d.digest);
  const shown = list.slice(0, 20).join(', ') + (list.length > 20 ? `, … (${list.length} in all)` : '');
  if (reader.excludesInventory) {
    throw new ScrydonError(
      'inventory_missing_blobs',
      `${reader.name} leaves out ${list.length} blob(s) that the store ${storeName} does not have: ${shown}`,
      {
        hint: 'the archive was made against another inventory; run scrydon inventory here and save again with --exclude-inventory of that file',
        details: { missing: list.join(',') },
      },
    );
  }
  throw new ScrydonError(
    'blob_missing',
    `${reader.name} refers to ${list.length} blob(s) that are neither in it nor in the store ${storeName}: ${shown}`,
    {
      hint: 'the archive is incomplete; save it again from a store that holds the whole artifact',
      details: { missing: list.join(',') },
    },
  );
}
