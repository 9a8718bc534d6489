import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest } from '../oci/digest.js';
import { Annotation } from '../oci/media-types.js';
import { openBlobFile } from './layout.js';
import { markReachable, type Fault } from './mark.js';
import type { Store } from './store-target.js';

export interface CheckReport {
  ok: boolean;
  blobs: number;
  bytes: number;
  tags: number;
  faults: Fault[];
}

/** Rehashes one blob file; undefined when it hashes to its name. */
async function rehash(path: string, expected: string): Promise<{ fault?: Fault; size: number }> {
  let fh;
  try {
    fh = await openBlobFile(path);
  } catch (e) {
    return { fault: { kind: 'not_regular_file', digest: expected, detail: (e as Error).message }, size: 0 };
  }
  if (!fh) return { fault: { kind: 'missing', digest: expected, detail: 'blob vanished while checking' }, size: 0 };
  const h = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) {
      size += (chunk as Buffer).byteLength;
      h.update(chunk as Buffer);
    }
  } finally {
    await fh.close();
  }
  const got = `sha256:${h.digest('hex')}`;
  return got === expected
    ? { size }
    : { fault: { kind: 'digest_mismatch', digest: expected, detail: `content hashes to ${got}` }, size };
}

/** Rehashes every blob and validates every manifest and tag (hauler's `info --check`, plus graph checks). */
export async function checkStore(store: Store): Promise<CheckReport> {
  const idx = await store.index();
  const faults: Fault[] = [];
  let blobs = 0;
  let bytes = 0;
  for (const name of (await readdir(store.paths.blobsDir)).sort()) {
    const digest = `sha256:${name}`;
    if (!isDigest(digest)) {
      faults.push({
        kind: 'not_regular_file',
        digest: name,
        detail: 'a file under blobs/sha256 whose name is not a sha256 hex digest',
      });
      continue;
    }
    const r = await rehash(join(store.paths.blobsDir, name), digest);
    blobs++;
    bytes += r.size;
    if (r.fault) faults.push(r.fault);
  }
  const marked = await markReachable(store, idx);
  faults.push(...marked.faults);
  const tags = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] !== undefined).length;
  return { ok: faults.length === 0, blobs, bytes, tags, faults };
}
