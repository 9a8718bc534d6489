import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temp path beside `target` (same directory, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** fsync a directory so a rename inside it is durable. Best effort where the platform refuses (EISDIR/EPERM). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

/** Writes `data` to `target` atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tempPathFor(target);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    renamed = true;
    await fsyncDir(dirname(target));
  } finally {
    if (!renamed) await rm(tmp, { force: true });
  }
}

/**
 * Flushes a file being written in the background: every `every` bytes a datasync is started (one at a time,
 * not awaited), so the kernel writes back while more data arrives and the final fsync is short instead of
 * flushing the whole file at once. Call done() before the final sync.
 */
export class BackgroundFlush {
  readonly #fh: FileHandle;
  readonly #every: number;
  #pending = 0;
  #inflight: Promise<void> | undefined;

  constructor(fh: FileHandle, every = 32 << 20) {
    this.#fh = fh;
    this.#every = every;
  }

  wrote(n: number): void {
    this.#pending += n;
    if (this.#pending < this.#every || this.#inflight) return;
    this.#pending = 0;
    this.#inflight = this.#fh.datasync().then(
      () => {
        this.#inflight = undefined;
      },
      () => {
        this.#inflight = undefined; // the final sync reports any real failure
      },
    );
  }

  async done(): Promise<void> {
    await this.#inflight;
  }
}

/**
 * A body that can hand its chunks to a writer itself (content/file-range-body.ts: positional reads into
 * reused buffers), which beats iterating a stream of fresh buffers. `direct` is false once it is being read.
 */
export interface ChunkPusher {
  readonly direct: boolean;
  copyTo(write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal): Promise<void>;
}

export function isChunkPusher(x: unknown): x is ChunkPusher {
  return typeof (x as Partial<ChunkPusher> | null)?.copyTo === 'function' && (x as ChunkPusher).direct === true;
}

/** Writes all of `b` at the file position (sequential appends). */
export async function writeFully(fh: FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.byteLength) off += (await fh.write(b, off, b.byteLength - off)).bytesWritten;
}

/**
 * Writes every chunk of `body` to `fh` in order, with backpressure (the source reads ahead while a write is
 * in flight), flushing in the background as it goes; the caller still fsyncs at the end. (A FileHandle's own
 * write stream keeps a reference that makes a later close() wait forever unless the stream is destroyed.)
 */
export async function writeAllTo(fh: FileHandle, body: AsyncIterable<unknown> | ChunkPusher, signal?: AbortSignal): Promise<number> {
  const flush = new BackgroundFlush(fh);
  let n = 0;
  const write = async (b: Buffer) => {
    await writeFully(fh, b);
    n += b.byteLength;
    flush.wrote(b.byteLength);
  };
  try {
    if (isChunkPusher(body)) await body.copyTo(write, signal);
    else {
      for await (const chunk of body as AsyncIterable<unknown>) {
        signal?.throwIfAborted();
        await write(chunk as Buffer);
      }
    }
  } finally {
    await flush.done();
  }
  return n;
}
