import { closeSync, constants, fstatSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
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
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new ScrydonError('store_invalid', `${path} is not a regular file`, { hint: 'run scrydon check' });
    // the file's size bounds the read (no second read to see the end), at most one byte over the descriptor's
    const buf = Buffer.allocUnsafe(Math.min(st.size, size + 1));
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.byteLength; n += got) got = readSync(fd, buf, n, buf.byteLength - n, n);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a small verified blob under its final name in a private layout (a load's staging area), read-only, in
 * one synchronous call (open, write, close); a name that exists already holds the same bytes. Not synced: its writer syncs it before
 * anything names it.
 */
export function writeSmallBlobSync(path: string, bytes: Buffer): void {
  try {
    writeFileSync(path, bytes, { flag: 'wx', mode: 0o444 });
  } catch (e) {
    // there already: an earlier push of the same digest wrote it whole (a write here never yields half-way)
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    rmSync(path, { force: true }); // no partial blob left behind
    throw e;
  }
}
