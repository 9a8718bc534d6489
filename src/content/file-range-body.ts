import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { VerifyStream } from './verify-stream.js';

const CHUNK = 1 << 20;
/**
 * Reads in flight ahead of the chunk being hashed: with the write and a background datasync that fills the
 * default libuv pool of 4 threads. Buffers: these, the one being hashed and the one being written (4 MiB).
 */
const READ_AHEAD = 2;
/**
 * The first chunk is this much shorter, so every later write lands 4 KiB off a 1 MiB boundary. On Linux 6.x
 * (ext4 with large folios) a write of a whole aligned MiB makes the kernel allocate a 1 MiB page-cache folio,
 * which on this kind of VM costs 2-8x the system time of writes that straddle boundaries (measured: 1 GiB of
 * aligned 1 MiB writes 0.7-2.5 s of sys time, shifted by 512 B, 4 KiB or 64 KiB 0.25-0.3 s).
 */
const STAGGER = 4096;

/** Streams `size` bytes of an open file from `start` with positional reads (several may share one handle). */
class RangeStream extends Readable {
  readonly #fh: FileHandle;
  #pos: number;
  #left: number;
  readonly #what: string;

  constructor(fh: FileHandle, start: number, size: number, what: string) {
    super({ highWaterMark: 2 * CHUNK });
    this.#fh = fh;
    this.#pos = start;
    this.#left = size;
    this.#what = what;
  }

  override _read(): void {
    if (this.#left === 0) {
      this.push(null);
      return;
    }
    const len = Math.min(CHUNK, this.#left);
    const buf = Buffer.allocUnsafe(len);
    this.#fh.read(buf, 0, len, this.#pos).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.destroy(short(this.#what, this.#left));
          return;
        }
        this.#pos += bytesRead;
        this.#left -= bytesRead;
        this.push(bytesRead === len ? buf : buf.subarray(0, bytesRead));
      },
      (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  }
}

function short(what: string, left: number): ScrydonError {
  return new ScrydonError('size_mismatch', `${what}: the file ended ${left} bytes early`);
}

/**
 * A blob that lives in a byte range of a local file (a store blob, an archive entry), verified against its
 * descriptor. Read as a stream it behaves like every other VerifyStream. A consumer that writes to a file or an archive
 * can call copyTo() instead (before reading): positional reads into a small pool of reused 1 MiB buffers,
 * hashing one chunk while the previous one is written and the next ones are read, then the same size and
 * digest check. Reused buffers avoid a fresh allocation (and its page faults) per chunk, which costs more
 * than the hashing on this kind of machine; memory stays at four chunks whatever the blob size.
 */
export class FileRangeBody extends VerifyStream {
  readonly #fh: FileHandle;
  readonly #start: number;
  readonly #size: number;
  readonly #owned: boolean;
  readonly #what: string;
  #mode: 'idle' | 'stream' | 'direct' = 'idle';
  #closed = false;

  /**
   * `owned`: the body closes `fh` when it is done (a blob opened for this read); otherwise the caller does.
   * `hashes`: false when only the size is checked (the destination checks the digest).
   */
  constructor(d: Descriptor, what: string, fh: FileHandle, start: number, owned: boolean, hashes = true) {
    super(d, what, undefined, hashes);
    this.#fh = fh;
    this.#start = start;
    this.#size = d.size;
    this.#owned = owned;
    this.#what = what;
  }

  override _read(n: number): void {
    if (this.#mode === 'idle') {
      this.#mode = 'stream';
      const src = new RangeStream(this.#fh, this.#start, this.#size, this.#what);
      src.on('error', (e) => this.destroy(e));
      src.pipe(this);
    }
    super._read(n);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.#close().then(
      () => cb(err),
      () => cb(err),
    );
  }

  /** Whether copyTo() may still be used (nothing has been read as a stream). */
  get direct(): boolean {
    return this.#mode === 'idle';
  }

  /**
   * Hands every verified-so-far chunk to `write` in order and resolves once all bytes passed the size and
   * digest check; `write` must be done with the buffer when its promise resolves (the buffer is reused).
   */
  async copyTo(write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (this.#mode !== 'idle') throw new ScrydonError('internal', `${this.#what}: body already being read`);
    this.#mode = 'direct';
    const pool: Buffer[] = [];
    const reads: Array<Promise<{ buf: Buffer; n: number; len: number }>> = [];
    let pos = this.#start;
    let left = this.#size;
    let first = true;
    const issue = () => {
      if (left === 0) return;
      const len = Math.min(first ? CHUNK - STAGGER : CHUNK, left);
      first = false;
      const buf = pool.pop() ?? Buffer.allocUnsafeSlow(Math.min(CHUNK, this.#size)); // a small blob: no 1 MiB buffer
      const at = pos;
      pos += len;
      left -= len;
      reads.push(this.#fh.read(buf, 0, len, at).then((r) => ({ buf, n: r.bytesRead, len })));
    };
    let writing: { p: Promise<void>; buf: Buffer } | undefined;
    try {
      for (let i = 0; i < READ_AHEAD; i++) issue();
      for (let next = reads.shift(); next; next = reads.shift()) {
        const { buf, n, len } = await next;
        signal?.throwIfAborted();
        if (n !== len) throw short(this.#what, left + len - n);
        const chunk = buf.subarray(0, n);
        const bad = this.account(chunk); // hashed here while the previous chunk is still being written
        if (bad) throw bad;
        if (writing) {
          await writing.p;
          pool.push(writing.buf);
        }
        issue();
        const p = write(chunk);
        p.catch(() => undefined); // a write may fail while the next read is awaited; it is awaited (and thrown) below
        writing = { p, buf };
      }
      if (writing) await writing.p;
      writing = undefined;
      const bad = this.conclude();
      if (bad) throw bad;
    } finally {
      await Promise.allSettled([...reads, ...(writing ? [writing.p] : [])]);
      await this.#close();
      this.destroy();
    }
  }

  async #close(): Promise<void> {
    if (this.#owned && !this.#closed) {
      this.#closed = true;
      await this.#fh.close();
    }
  }
}
