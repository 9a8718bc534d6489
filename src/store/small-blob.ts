import { close, closeSync, constants, fstatSync, fsync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
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
 * Writes a small verified blob under its final name in a private layout (a load's staging area), read-only, with
 * synchronous calls (open, write) and returns the open descriptor for its writer to sync and close (SyncQueue);
 * undefined when the name exists already: an earlier push of the same digest wrote the same bytes whole.
 */
export function createSmallBlobSync(path: string, bytes: Buffer): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o444);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  try {
    for (let n = 0; n < bytes.byteLength;) n += writeSync(fd, bytes, n, bytes.byteLength - n);
    return fd;
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true }); // no partial blob left behind
    throw e;
  }
}

const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/**
 * Files written by createSmallBlobSync, synced and closed in the background while more are written (at most
 * `limit` at once: add() waits for room), so their fsyncs overlap the copy instead of all waiting for its end.
 * drain() resolves once every one is on disk, or throws the first failure.
 */
export class SyncQueue {
  readonly #limit: number;
  readonly #inflight = new Set<Promise<void>>();
  #failure: unknown;

  constructor(limit = 16) {
    this.#limit = limit;
  }

  async add(fd: number): Promise<void> {
    const p: Promise<void> = fsyncFd(fd)
      .finally(() => closeFd(fd))
      .catch((e: unknown) => {
        this.#failure ??= e;
      })
      .finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
    while (this.#inflight.size >= this.#limit) await Promise.race(this.#inflight);
  }

  async drain(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
    if (this.#failure !== undefined) throw this.#failure;
  }
}
