import { malformed } from './http1-head.js';

const MAX_LINE = 4096;

/**
 * Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1) fed in arbitrary pieces: feed() returns the data
 * in a piece (views of it, no copies) and `done` turns true after the last chunk and its trailer section.
 */
export class ChunkedDecoder {
  #state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  #line = '';
  #left = 0;

  get done(): boolean {
    return this.#state === 'done';
  }

  feed(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.byteLength && this.#state !== 'done') {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, buf.byteLength - i);
        out.push(buf.subarray(i, i + n));
        i += n;
        this.#left -= n;
        if (this.#left === 0) this.#state = 'data-end';
        continue;
      }
      const nl = buf.indexOf(10, i);
      const end = nl < 0 ? buf.byteLength : nl + 1;
      this.#line += buf.toString('latin1', i, end);
      i = end;
      if (this.#line.length > MAX_LINE) throw malformed('chunked encoding line too long');
      if (nl < 0) continue;
      if (!this.#line.endsWith('\r\n')) throw malformed('chunked encoding line without CRLF');
      const line = this.#line.slice(0, -2);
      this.#line = '';
      this.#onLine(line);
    }
    return out;
  }

  #onLine(line: string): void {
    if (this.#state === 'data-end') {
      if (line !== '') throw malformed('chunk data longer than its size');
      this.#state = 'size';
    } else if (this.#state === 'trailer') {
      if (line === '') this.#state = 'done';
    } else {
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
      if (!m?.[1]) throw malformed(`chunk size ${JSON.stringify(line.slice(0, 20))}`);
      this.#left = parseInt(m[1], 16);
      this.#state = this.#left === 0 ? 'trailer' : 'data';
    }
  }
}
