import { closeSync, constants, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { ScrydonError } from '../errors.js';

/** Blobs up to this size are read whole in one call where a caller reads many of them in a row (save). */
export const SMALL_BLOB_BYTES = 64 * 1024;

/**
 * Reads a small blob file whole, synchronously: open (no links followed, never waiting on a FIFO), read, close,
 * with no thread-pool round trip between them, which is most of what an asynchronous read of a 1 KiB file costs,
 * and no fstat (30,000 of them were a tenth of a 10,000-pack save --all). At most `size` + 1 bytes are read, so a
 * file longer than its descriptor says still fails verification; the bytes returned are the ones a caller verifies
 * and uses. Undefined when the file does not exist; a link, a directory or a FIFO is refused as openBlobFile
 * refuses it; a device reads as whatever it yields, which the digest then refuses.
 */
export function readSmallBlobSync(path: string, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new ScrydonError('store_invalid', `${path} is a symbolic link`, { hint: 'run scrydon check' });
    throw e;
  }
  try {
    // reads ask for one byte over the descriptor's size, until that size or the end: a sound blob is one read that
    // stops short at exactly its size (a regular file's end), a longer file shows its extra byte, a shorter one ends
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, buf.byteLength - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ESPIPE' || code === 'EAGAIN')
      throw new ScrydonError('store_invalid', `${path} is not a regular file`, { hint: 'run scrydon check' });
    throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a small verified blob under its final name in a private layout (a load's staging area), read-only, with
 * synchronous calls (open, write, close) and no fsync: its writer makes the whole batch durable before anything
 * names it (staging.ts). False when the name exists already: an earlier push of the same digest wrote the same
 * bytes whole.
 */
export function createSmallBlobSync(path: string, bytes: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o444);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    for (let n = 0; n < bytes.byteLength;) n += writeSync(fd, bytes, n, bytes.byteLength - n);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true }); // no partial blob left behind
    throw e;
  }
  closeSync(fd);
  return true;
}
