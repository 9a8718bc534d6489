import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';

/**
 * Passes bytes through while hashing and counting them. Overflow fails at once; a short stream or a wrong
 * digest fails in flush(): a consumer that commits on a clean end can never commit bad bytes.
 */
export class VerifyStream extends Transform {
  readonly expected: Descriptor;
  readonly #hash: Hash = createHash('sha256');
  readonly #what: string;
  readonly #onBytes: Array<(total: number) => void> = [];
  #seen = 0;

  /** False when only the size is checked (the destination checks the digest: IoOptions.sizeOnly). */
  readonly hashes: boolean;

  constructor(expected: Descriptor, what: string, onBytes?: (total: number) => void, hashes = true) {
    super({ readableHighWaterMark: 1 << 20, writableHighWaterMark: 1 << 20 });
    this.expected = expected;
    this.hashes = hashes;
    this.#what = what;
    if (onBytes) this.#onBytes.push(onBytes);
  }

  /** Also reports progress to `onBytes` (so a progress bar needs no second hashing stream). */
  addProgress(onBytes: (total: number) => void): void {
    this.#onBytes.push(onBytes);
  }

  /** Bytes accounted so far. */
  protected get accounted(): number {
    return this.#seen;
  }

  /** Hashes and counts one chunk; an error when the bytes overflow the declared size. For subclasses that move bytes themselves. */
  protected account(chunk: Buffer): ScrydonError | undefined {
    this.#seen += chunk.byteLength;
    if (this.#seen > this.expected.size) {
      return new ScrydonError(
        'size_mismatch',
        `${this.#what}: ${this.expected.digest} is larger than its declared ${this.expected.size} bytes`,
      );
    }
    if (this.hashes) this.#hash.update(chunk);
    for (const f of this.#onBytes) f(this.#seen);
    return undefined;
  }

  /** The final size and digest check, once every byte is accounted. */
  protected conclude(): ScrydonError | undefined {
    if (this.#seen !== this.expected.size) {
      return new ScrydonError(
        'size_mismatch',
        `${this.#what}: ${this.expected.digest} has ${this.#seen} bytes, expected ${this.expected.size}`,
      );
    }
    if (!this.hashes) return undefined;
    const got = `sha256:${this.#hash.digest('hex')}`;
    if (got !== this.expected.digest) {
      return new ScrydonError(
        'digest_mismatch',
        `${this.#what}: content digest ${got} does not match ${this.expected.digest}`,
        {
          hint: 'the content was corrupted or tampered with; nothing was stored',
        },
      );
    }
    return undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const e = this.account(chunk);
    if (e) cb(e);
    else cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(this.conclude());
  }
}

/**
 * Wraps `body` in a VerifyStream unless it already is one for the same descriptor: then it is passed through
 * (with `onBytes` added to it), so a blob is hashed once however many layers hand it on. `sizeOnly`: the
 * destination checks the digest itself, so only the size is checked here.
 */
export function verified(
  body: Readable,
  d: Descriptor,
  what: string,
  onBytes?: (total: number) => void,
  sizeOnly = false,
): VerifyStream {
  if (
    body instanceof VerifyStream &&
    body.expected.digest === d.digest &&
    body.expected.size === d.size &&
    (body.hashes || sizeOnly)
  ) {
    if (onBytes) body.addProgress(onBytes);
    return body;
  }
  const v = new VerifyStream(d, what, onBytes, !sizeOnly);
  body.on('error', (e) => v.destroy(e));
  return body.pipe(v);
}

/** Reads a small verified stream whole (manifests, configs), refusing more than `limit` bytes. */
export async function readAllBounded(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = c as Buffer;
    n += b.byteLength;
    if (n > limit) {
      body.destroy();
      throw new ScrydonError('size_limit_exceeded', `${what} exceeds ${limit} bytes`);
    }
    chunks.push(b);
  }
  // one chunk that owns its whole memory (a manifest handed on as one buffer) needs no copy; a view into a larger
  // buffer (a pooled or slab read) is copied, so the result never pins or shares memory it does not own
  const only = chunks.length === 1 ? chunks[0] : undefined;
  if (only && only.byteOffset === 0 && only.buffer.byteLength === only.byteLength) return only;
  return Buffer.concat(chunks);
}
