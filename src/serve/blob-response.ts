import type { Store } from '../store/store-target.js';
import { openBlob } from './content.js';
import { writeFileRange } from './file-body.js';
import { writeHead, type Exchange } from './http.js';
import { OciHttpError } from './oci-error.js';
import { parseRange, rangeApplies } from './range.js';

/**
 * GET/HEAD of a blob: streamed from its file with backpressure (never buffered whole), one `Range` honoured
 * (206 with Content-Range, 416 when unsatisfiable) unless an If-Range does not match the blob's ETag.
 */
export async function sendBlob(x: Exchange, store: Store, digest: string): Promise<void> {
  const blob = await openBlob(store, digest);
  if (!blob) throw new OciHttpError('BLOB_UNKNOWN', `blob ${digest} is not in the store`, { digest });
  const { fh, size } = blob;
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
    await fh.close();
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
  if (x.head || length === 0) {
    await fh.close();
    x.res.end();
    return;
  }
  try {
    await writeFileRange(fh, start, length, x.res, x.signal);
    x.res.end();
  } catch {
    // the client went away (or the disk failed mid-way): the connection is closed, a partial body never looks whole
    x.res.destroy();
  } finally {
    await fh.close();
  }
}
