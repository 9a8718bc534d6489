import type { FileHandle } from 'node:fs/promises';
import type { Store } from '../store/store-target.js';
import type { BytesLru } from '../content/bytes-lru.js';
import { blobSize, openBlob, readVerified } from './content.js';
import { writeFileRange } from './file-body.js';
import { writeHead, type Exchange } from './http.js';
import { OciHttpError } from './oci-error.js';
import { parseRange, rangeApplies } from './range.js';

/** Blobs up to this size are read whole, checked against their digest and kept in memory (configs, small packs). */
const SMALL_BLOB = 64 << 10;
/** What the small blobs kept in memory may take at most. */
export const SMALL_BLOBS_BYTES = 4 << 20;

/**
 * GET/HEAD of a blob: one `Range` honoured (206 with Content-Range, 416 when unsatisfiable) unless an If-Range
 * does not match the blob's ETag. Every request looks at the blob's file (one lstat), so a blob gc has deleted
 * is not served; a HEAD stops there. A small blob is answered from `small` (filled with bytes checked against
 * the digest: files are never rewritten, so they are the file's bytes); a larger one is streamed from its file
 * with backpressure, never buffered whole.
 */
export async function sendBlob(x: Exchange, store: Store, small: BytesLru, digest: string): Promise<void> {
  const unknown = () => new OciHttpError('BLOB_UNKNOWN', `blob ${digest} is not in the store`, { digest });
  const size = await blobSize(store, digest);
  if (size === undefined) throw unknown();
  if (x.head) return answer(x, size, digest, undefined);
  if (size <= SMALL_BLOB) {
    let bytes = small.get(digest);
    if (bytes?.byteLength !== size) {
      bytes = await readVerified(store, digest, SMALL_BLOB);
      if (!bytes) throw unknown();
      small.set(digest, bytes);
    }
    return answer(x, bytes.byteLength, digest, bytes);
  }
  const blob = await openBlob(store, digest);
  if (!blob) throw unknown();
  try {
    await answer(x, blob.size, digest, blob.fh);
  } finally {
    await blob.fh.close();
  }
}

/** Answers with the blob's headers and the requested part of `body` (none for a HEAD). */
async function answer(x: Exchange, size: number, digest: string, body: FileHandle | Buffer | undefined): Promise<void> {
  const common = {
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'max-age=31536000, immutable',
  };
  const range = parseRange(
    rangeApplies(x.req.headers['if-range'], common.etag) ? x.req.headers.range : undefined,
    size,
  );
  if (range.kind === 'unsatisfiable') {
    writeHead(x, 416, { ...common, 'content-range': `bytes */${size}`, 'content-length': 0 });
    x.res.end();
    return;
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const headers: Record<string, string | number> = {
    ...common,
    'content-type': 'application/octet-stream',
    'content-length': length,
  };
  if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${size}`;
  writeHead(x, range.kind === 'partial' ? 206 : 200, headers);
  if (body === undefined || length === 0) {
    x.res.end();
    return;
  }
  if (Buffer.isBuffer(body)) {
    x.res.end(body.subarray(start, end + 1));
    return;
  }
  try {
    await writeFileRange(body, start, length, x.res, x.signal);
    x.res.end();
  } catch {
    // the client went away (or the disk failed mid-way): the connection is closed, a partial body never looks whole
    x.res.destroy();
  }
}
