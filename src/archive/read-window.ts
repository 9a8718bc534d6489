import type { FileHandle } from 'node:fs/promises';

/** The largest read-ahead window, and the one a window starts at after reads that missed. */
const MAX_WINDOW = 256 * 1024;
const MIN_WINDOW = 64 * 1024;
/** Windows kept: reads of a copy that runs a few transfers at once arrive a little out of order. */
const KEPT = 4;

interface Window {
  start: number;
  end: number;
  bytes: Promise<Buffer>;
  hits: number;
}

/**
 * Small ranges of a file read through a few read-ahead windows: one positional read of up to 256 KiB serves every
 * small entry inside it, so the thousands of small entries of an archive (tar headers, blobs written in the order
 * they are read back) cost a read per 256 KiB instead of one each (and what a copy's few windows hold stays small). A window that served one read only makes the
 * next one small again (entries read out of order cost little more than exact reads). Each read returns its own
 * copy, so what a caller keeps never pins a window.
 */
export class ReadWindows {
  readonly #fh: FileHandle;
  readonly #fileSize: number;
  readonly #short: (at: number) => Error;
  #windows: Window[] = [];
  #next = MIN_WINDOW;

  /** `short`: the error for a read that the file ends before (it was cut short after it was opened). */
  constructor(fh: FileHandle, fileSize: number, short: (at: number) => Error) {
    this.#fh = fh;
    this.#fileSize = fileSize;
    this.#short = short;
  }

  /** The `size` bytes at `offset`, which the caller knows lie inside the file. */
  async read(offset: number, size: number): Promise<Buffer> {
    // a copy, not a view: a view kept (a manifest held for tagging) would pin its whole window
    return Buffer.from(await this.view(offset, size));
  }

  /** read(), as a view into its window: for a caller that is done with the bytes at once (a tar header it decodes). */
  async view(offset: number, size: number): Promise<Buffer> {
    let w = this.#windows.find((x) => offset >= x.start && offset + size <= x.end);
    if (w) w.hits++;
    else w = this.#open(offset, size);
    return (await w.bytes).subarray(offset - w.start, offset - w.start + size);
  }

  #open(offset: number, size: number): Window {
    const last = this.#windows[0];
    if (last) this.#next = last.hits > 0 ? Math.min(MAX_WINDOW, 2 * (last.end - last.start)) : MIN_WINDOW;
    const end = Math.min(this.#fileSize, offset + Math.max(size, this.#next));
    const w: Window = { start: offset, end, bytes: this.#readAt(offset, end - offset), hits: 0 };
    w.bytes.catch(() => {
      this.#windows = this.#windows.filter((x) => x !== w); // a failed read is not served again
    });
    this.#windows = [w, ...this.#windows.slice(0, KEPT - 1)];
    return w;
  }

  async #readAt(at: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafeSlow(len);
    let n = 0;
    while (n < len) {
      const { bytesRead } = await this.#fh.read(buf, n, len - n, at + n);
      if (bytesRead === 0) throw this.#short(at + n);
      n += bytesRead;
    }
    return buf;
  }
}
