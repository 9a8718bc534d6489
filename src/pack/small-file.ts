import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';

/**
 * Reads a small file (pack.json, scrydon.yaml, .scrydonignore) whole, refusing one over `limit` bytes
 * before reading it and refusing anything but a regular file (a FIFO would block; a device never ends).
 */
export async function readSmallFile(path: string, limit: number, what: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ScrydonError('not_found', `${path} does not exist`);
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ScrydonError('unsafe_entry', `${path} is not a regular file`);
    if (st.size > limit) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `${path}: ${what} is ${st.size} bytes, over the ${limit}-byte limit`,
      );
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}
