import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fastPaths } from '../fast-paths.js';

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
        this.#inflight = undefined; // the final sync reports a real failure
      },
    );
  }

  async done(): Promise<void> {
    await this.#inflight;
  }
}

/**
 * A body that can hand its chunks to a writer itself (content/file-range-body.ts: positional reads into
 * reused buffers; registry/resumable-blob.ts: socket reads into buffers handed back after each write), which
 * beats iterating a stream of fresh buffers. `direct` is false once it is being read. `writeMany`, when given,
 * takes several chunks in one call (one writev).
 */
export interface ChunkPusher {
  readonly direct: boolean;
  copyTo(
    write: (chunk: Buffer) => Promise<void>,
    signal?: AbortSignal,
    writeMany?: (chunks: Buffer[]) => Promise<void>,
  ): Promise<void>;
}

export function isChunkPusher(x: unknown): x is ChunkPusher {
  return (
    fastPaths() &&
    typeof (x as Partial<ChunkPusher> | null)?.copyTo === 'function' &&
    (x as ChunkPusher).direct === true
  );
}

/** Writes all of `b` at the file position (sequential appends). */
async function writeFully(fh: FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.byteLength) off += (await fh.write(b, off, b.byteLength - off)).bytesWritten;
}

/** Writes every buffer of `bufs` in order at the file position, in one writev where the kernel takes it all. */
async function writevFully(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    let n = (await fh.writev(rest)).bytesWritten;
    while (rest.length > 0 && n >= (rest[0]?.byteLength ?? 0)) n -= rest.shift()?.byteLength ?? 0;
    if (n > 0 && rest[0]) rest = [rest[0].subarray(n), ...rest.slice(1)];
  }
}

/** A batch is written once the previous write is done; the source pauses while this much waits. */
const MAX_QUEUED = 4 << 20;

/**
 * Writes every chunk of `body` to `fh` in order, flushing in the background as it goes; the caller still
 * fsyncs at the end. A stream is drained in flowing mode: the chunks that arrive while one write is in flight
 * go out together in the next writev, so the network, the hashing and the disk overlap instead of taking
 * turns chunk by chunk (one awaited 64 KiB write per socket read doubled a pull's time). (A FileHandle's own
 * write stream keeps a reference that makes a later close() wait forever unless the stream is destroyed.)
 */
export async function writeAllTo(
  fh: FileHandle,
  body: AsyncIterable<unknown> | ChunkPusher,
  signal?: AbortSignal,
): Promise<number> {
  const flush = new BackgroundFlush(fh);
  let n = 0;
  const write = async (b: Buffer) => {
    await writeFully(fh, b);
    n += b.byteLength;
    flush.wrote(b.byteLength);
  };
  try {
    if (isChunkPusher(body))
      await body.copyTo(write, signal, async (bufs) => {
        const bytes = bufs.reduce((sum, b) => sum + b.byteLength, 0);
        await writevFully(fh, bufs);
        n += bytes;
        flush.wrote(bytes);
      });
    else if (body instanceof Readable) n = await drainTo(fh, body, flush, signal);
    else {
      for await (const chunk of body) {
        signal?.throwIfAborted();
        await write(chunk as Buffer);
      }
    }
  } finally {
    await flush.done();
  }
  return n;
}

/** The flowing-mode, batched drain of writeAllTo. Settles only when no write is in flight. */
function drainTo(
  fh: FileHandle,
  body: Readable,
  flush: BackgroundFlush,
  signal: AbortSignal | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let queued: Buffer[] = [];
    let queuedBytes = 0;
    let written = 0;
    let writing = false;
    let ended = false;
    let failure: unknown;
    const onAbort = (): void => fail(signal?.reason ?? new Error('aborted'));
    const settle = (): void => {
      if (writing) return;
      signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else resolve(written);
    };
    const fail = (e: unknown): void => {
      if (failure !== undefined) return;
      failure = e;
      queued = [];
      body.destroy();
      settle();
    };
    const pump = (): void => {
      if (writing || failure !== undefined) return;
      if (queued.length === 0) {
        if (ended) settle();
        return;
      }
      const batch = queued;
      const bytes = queuedBytes;
      queued = [];
      queuedBytes = 0;
      writing = true;
      if (body.isPaused() && !ended) body.resume();
      writevFully(fh, batch).then(
        () => {
          writing = false;
          written += bytes;
          flush.wrote(bytes);
          if (failure !== undefined) settle();
          else pump();
        },
        (e: unknown) => {
          writing = false;
          if (failure === undefined) fail(e);
          else settle();
        },
      );
    };
    if (signal?.aborted) return fail(signal.reason);
    // a body that failed or was closed before we got it has no events left to give
    if (body.errored) return fail(body.errored);
    if (body.destroyed && !body.readableEnded) return fail(prematureClose());
    if (body.readableEnded) return fail(new Error('the stream was read to its end before it reached the file')); // never write a short file
    signal?.addEventListener('abort', onAbort, { once: true });
    body.on('data', (c: Buffer) => {
      queued.push(c);
      queuedBytes += c.byteLength;
      if (queuedBytes >= MAX_QUEUED) body.pause();
      pump();
    });
    body.once('end', () => {
      ended = true;
      pump();
    });
    body.once('error', fail);
    body.once('close', () => {
      if (!ended) fail(body.errored ?? prematureClose());
    });
  });
}

/** The error of a stream that closed before its end. */
export function prematureClose(): Error {
  return Object.assign(new Error('the stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
