import { hash } from 'node:crypto';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Readable } from 'node:stream';
import { isChunkPusher } from '../fs/file-sink.js';
import { readAllBounded, verified, VerifyStream } from './verify-stream.js';

/**
 * A small blob already read whole (a store file read in one call, an archive entry inside a read-ahead window),
 * verified against its descriptor like every other body. A consumer that writes it somewhere can call copyTo()
 * (one write of the whole buffer once it hashed right, no stream machinery); read as a stream, it is one chunk.
 */
export class BufferBody extends VerifyStream {
  readonly #bytes: Buffer;
  #mode: 'idle' | 'stream' | 'direct' = 'idle';

  constructor(d: Descriptor, what: string, bytes: Buffer, hashes = true) {
    super(d, what, undefined, hashes);
    this.#bytes = bytes;
  }

  override _read(n: number): void {
    if (this.#mode === 'idle') {
      this.#mode = 'stream';
      this.end(this.#bytes);
    }
    super._read(n);
  }

  /** Whether copyTo() may still be used (nothing has been read as a stream). */
  get direct(): boolean {
    return this.#mode === 'idle';
  }

  /** Checks the bytes, then hands them to `write` in one call (file-sink.ts ChunkPusher). */
  async copyTo(write: (chunk: Buffer) => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (this.#mode !== 'idle') throw new ScrydonError('internal', `${this.expected.digest}: body already being read`);
    this.#mode = 'direct';
    try {
      signal?.throwIfAborted();
      const bad = this.#mismatch();
      if (bad) throw bad;
      await write(this.#bytes);
    } finally {
      this.destroy();
    }
  }

  /** The bytes, once checked (copyTo's check): for a caller that keeps them. */
  async verifiedBytes(): Promise<Buffer> {
    await this.copyTo(async () => undefined);
    return this.#bytes;
  }

  /** What is wrong with the bytes (their size or digest), as a VerifyStream reports it; undefined when they are right. */
  #mismatch(): ScrydonError | undefined {
    return this.account(this.#bytes) ?? this.conclude();
  }

  /**
   * Checks `bytes`, read whole, against `d` in one synchronous hash call (a walk over thousands of small blobs: no
   * stream per blob); a mismatch throws the error a VerifyStream would.
   */
  static assertWhole(bytes: Buffer, d: Descriptor, what: string): void {
    if (bytes.byteLength === d.size && `sha256:${hash('sha256', bytes)}` === d.digest) return;
    const body = new BufferBody(d, what, bytes);
    const bad = body.#mismatch();
    body.destroy();
    throw bad ?? new ScrydonError('internal', `${what}: ${d.digest} failed a check that its stream passes`);
  }
}

/**
 * Reads a small body whole, verified against `d` (its size bounds what is read): through copyTo() when the body
 * offers it (a BufferBody, a file range: no stream machinery), else as a stream.
 */
export async function readVerified(body: Readable, d: Descriptor, what: string): Promise<Buffer> {
  const v = verified(body, d, what);
  if (!isChunkPusher(v)) return readAllBounded(v, d.size, what);
  // a BufferBody's bytes are its own (a store read, a copy out of a read-ahead window) and are never reused: no copy
  if (v instanceof BufferBody) return v.verifiedBytes();
  const chunks: Buffer[] = [];
  await v.copyTo(async (b) => {
    chunks.push(Buffer.from(b)); // copied: the body may reuse its buffer, or hold a larger one (a read-ahead window)
  });
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
