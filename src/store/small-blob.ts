import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ScrydonError } from '../errors.js';

/** Blobs up to this size are read whole in one call where a caller reads many of them in a row (save). */
export const SMALL_BLOB_BYTES = 64 * 1024;

/**
 * Reads a small blob file whole, synchronously: open (no links followed), fstat, one read, close, with no
 * thread-pool round trip between them, which is most of what an asynchronous read of a 1 KiB file costs. At most
 * `size` + 1 bytes are read, so a file longer than its descriptor says still fails verification. Undefined when
 * the file does not exist; a link or a non-regular file is refused as openBlobFile refuses it.
 */
export function readSmallBlobSync(path: string, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new ScrydonError('store_invalid', `${path} is a symbolic link`, { hint: 'run scrydon check' });
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new ScrydonError('store_invalid', `${path} is not a regular file`, { hint: 'run scrydon check' });
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.byteLength; n += got) got = readSync(fd, buf, n, buf.byteLength - n, n);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
