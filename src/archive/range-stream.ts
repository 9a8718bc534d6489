import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';

const CHUNK = 1 << 20;

/**
 * Streams `size` bytes of an open file from `start` with positional reads in 1 MiB chunks. Several may share
 * one FileHandle (no file position is used) and none of them closes it: the handle's owner does.
 */
export class RangeStream extends Readable {
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
          this.destroy(new ScrydonError('archive_truncated', `${this.#what}: the file ended ${this.#left} bytes early`));
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
