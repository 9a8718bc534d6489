import { connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { isAbortError } from '../../errors.js';
import { ChunkedDecoder } from './chunked.js';
import type { HttpResponse } from './http.js';
import { framingOf, headEnd, malformed, MAX_HEAD_BYTES, parseHead, TOKEN, type Framing } from './http1-head.js';
import { abortError } from './net-errors.js';
import { hostOf, serverName } from './proxy.js';
import { boundConnect, DEFAULT_TIMEOUTS, idleFailure, SpeedFloor, stepOf } from './time-bounds.js';

/** The socket reads straight into slabs of this size, each read given at least MIN_READ of room. */
const SLAB = 1 << 20;
const MIN_READ = 64 << 10;
/** Body bytes are handed on once this many have arrived (or at the body's end). */
const EMIT = 256 << 10;

const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface BulkGetOptions {
  url: URL;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** TLS settings of the registry (https). */
  tls: ConnectionOptions;
  /** A connection silent this long fails with ETIMEDOUT. */
  idleMs: number;
  /** The connection (TCP, then TLS) is made within this (default: DEFAULT_TIMEOUTS'). */
  connectMs?: number;
  /** The speed floor once the answer has begun (time-bounds.ts SpeedFloor; default: DEFAULT_TIMEOUTS'). */
  minBytesPerSecond?: number;
}

/**
 * A GET for a large body (a blob) on a connection of its own, over HTTP/1.1 written by hand: the socket reads
 * into 1 MiB slabs (`onread`), and the body is handed on in pieces of ≥ 256 KiB that are views of those slabs.
 * Through node:http the same body arrives as thousands of freshly allocated 64 KiB buffers, each through the
 * parser and the stream machinery: on a 256 MiB pull that was ~0.17 s of CPU on the thread that also hashes.
 * The answer is an ordinary HttpResponse (status, headers, a Readable body), so redirects, retries, auth
 * challenges and error bodies are handled by the transport as for every other request; bodies framed by
 * Content-Length, chunked encoding or the connection's close are all read. `Connection: close`: nothing is
 * pooled, the socket is closed once the body is in, abandoned, aborted or failed. A consumer that hands each
 * piece back once it is done with it (the response's recycle(): a pull writing to its file) has the socket read
 * into the same few slabs again: a fresh 1 MiB per read costs its page faults, more system time than the read.
 */
export function bulkGet(o: BulkGetOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => new BulkReader(o, resolve, reject));
}

class BulkReader {
  readonly #url: URL;
  readonly #socket: Socket;
  readonly #resolve: (r: HttpResponse) => void;
  readonly #reject: (e: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  /** The first slab is small: most answers that are not the blob (401, 307, errors) fit in it. */
  #slab: Buffer = Buffer.allocUnsafe(MIN_READ);
  /** Bytes [start, pos) of the slab have arrived and are not yet parsed or handed on. */
  #start = 0;
  #pos = 0;
  /** Where the search for the end of the head resumes. */
  #scan = 0;
  /** 'done': nothing more is taken from the socket (the body is complete, failed or abandoned). */
  #phase: 'head' | 'body' | 'done' = 'head';
  #framing: Framing = { kind: 'close' };
  /** Body bytes not yet handed on (Content-Length framing). */
  #left = 0;
  #chunked: ChunkedDecoder | undefined;
  #body: Readable | undefined;
  /**
   * Until the body's first read, nothing is pushed and no error is raised on it: its pieces wait in #held, its
   * end in #complete, a failure in #failure (a Readable would otherwise emit them before the caller listens).
   * The framing is still followed as bytes arrive, so an answer that is complete is complete however late it
   * is read (over TLS the server's close can arrive in the same read as the answer).
   */
  #started = false;
  #held: Buffer[] = [];
  #complete = false;
  #failure: Error | undefined;
  /** Bytes read off the socket (the speed floor's count). */
  #received = 0;
  /**
   * Each piece handed on and not yet given back (recycle()), with its slab; a slab with none out is reusable.
   * Weak: a consumer that never gives pieces back keeps none of them alive here.
   */
  readonly #out = new WeakMap<Buffer, Slab>();
  #current: Slab | undefined;
  readonly #spare: Slab[] = [];
  readonly #floor: SpeedFloor;
  readonly #disarmConnect: () => void;
  readonly #onAbort = (): void => this.#fail(abortError(this.#signal?.reason));

  constructor(o: BulkGetOptions, resolve: (r: HttpResponse) => void, reject: (e: unknown) => void) {
    this.#url = o.url;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = o.signal;
    const request = requestHead(o.url, o.headers); // throws on a header that would split the request
    const host = hostOf(o.url);
    const https = o.url.protocol === 'https:';
    const port = Number(o.url.port) || (https ? 443 : 80);
    const onread: OnReadOpts = { buffer: () => this.#room(), callback: (n) => this.#onRead(n) };
    // tls.connect takes onread too (documented since Node 14.5; missing from @types/node)
    this.#socket = https
      ? tlsConnect({
          ...o.tls,
          host,
          port,
          servername: serverName(host),
          ALPNProtocols: ['http/1.1'],
          onread,
        } as ConnectionOptions)
      : netConnect({ host, port, onread });
    const bounds = {
      ...DEFAULT_TIMEOUTS,
      idleMs: o.idleMs,
      ...(o.connectMs !== undefined ? { connectMs: o.connectMs } : {}),
      ...(o.minBytesPerSecond !== undefined ? { minBytesPerSecond: o.minBytesPerSecond } : {}),
    };
    this.#disarmConnect = boundConnect(this.#socket, bounds.connectMs, (e) => this.#fail(e));
    // (once: a hold means the answer has begun, so the speed floor judges the windows after it)
    this.#socket.setTimeout(
      o.idleMs,
      () => void (this.#heldBack() || this.#fail(idleFailure(o.idleMs, stepOf(this.#socket, this.#received > 0)))),
    );
    this.#floor = new SpeedFloor(bounds, {
      received: () => this.#received,
      held: () => this.#heldBack(),
      fail: (e) => this.#fail(e),
    });
    this.#socket.on('error', (e) => this.#fail(e));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('close', () =>
      this.#fail(hangUp(this.#phase === 'head' ? 'before the response' : 'before the body was complete')),
    );
    if (o.signal?.aborted) {
      this.#onAbort();
      return;
    }
    o.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#socket.write(request, 'latin1');
  }

  /** Nobody reads the body yet (the socket is paused until then), or its reader is behind: scrydon's own doing. */
  #heldBack(): boolean {
    return (
      this.#phase === 'body' &&
      (!this.#started || (this.#body !== undefined && this.#body.readableLength >= this.#body.readableHighWaterMark))
    );
  }

  /**
   * The room for the next read (Node asks once at the start and once after each callback): the rest of the
   * slab, or a new slab carrying over the bytes not yet handed on (only ever part of a head; body bytes are
   * handed on before a slab runs out). Handed-on views are never written over: reads only go past #pos.
   */
  #room(): Buffer {
    if (this.#phase === 'done') return DISCARD; // whatever still comes is not read
    if (this.#slab.byteLength - this.#pos < MIN_READ) {
      const previous = this.#current;
      this.#current = this.#spare.pop() ?? { buf: Buffer.allocUnsafeSlow(SLAB), out: 0 };
      const next = this.#current.buf;
      const carried = this.#slab.copy(next, 0, this.#start, this.#pos);
      if (previous) this.#release(previous);
      this.#scan -= this.#start;
      this.#start = 0;
      this.#pos = carried;
      this.#slab = next;
    }
    return this.#slab.subarray(this.#pos);
  }

  #onRead(n: number): boolean {
    if (this.#phase === 'done') return false;
    this.#pos += n;
    this.#received += n;
    try {
      this.#parseHeads();
      this.#consume();
    } catch (e) {
      this.#fail(e);
    }
    return true; // back-pressure pauses the socket in #deliver
  }

  #parseHeads(): void {
    while (this.#phase === 'head') {
      const end = headEnd(this.#slab, this.#start, Math.max(this.#start, this.#scan), this.#pos);
      if (end < 0) {
        this.#scan = this.#pos;
        if (this.#pos - this.#start > MAX_HEAD_BYTES) throw malformed('response head too large');
        return;
      }
      const head = parseHead(this.#slab.toString('latin1', this.#start, end - 4));
      this.#start = this.#scan = end;
      if (head.status === 101) throw malformed('unexpected 101 Switching Protocols');
      if (head.status < 200) continue; // 100 Continue, 103 Early Hints: the answer follows
      this.#framing = framingOf(head);
      if (this.#framing.kind === 'length') this.#left = this.#framing.length;
      if (this.#framing.kind === 'chunked') this.#chunked = new ChunkedDecoder();
      this.#phase = 'body';
      this.#socket.pause(); // until the body is read
      this.#body = new Readable({
        highWaterMark: 1 << 20,
        read: () => this.#read(),
        destroy: (err, cb) => {
          this.#close();
          cb(err);
        },
      });
      this.#resolve({
        status: head.status,
        headers: head.headers,
        body: this.#body,
        url: this.#url,
        ownConnection: true,
        recycle: (piece) => this.#recycle(piece),
      });
      if (this.#framing.kind === 'none' || (this.#framing.kind === 'length' && this.#left === 0)) this.#finish();
    }
  }

  /** Follows the framing over the bytes that arrived, handing on what is body. */
  #consume(): void {
    if (this.#phase !== 'body') return;
    if (this.#chunked) {
      const pieces = this.#chunked.feed(this.#slab.subarray(this.#start, this.#pos));
      this.#start = this.#pos;
      for (const p of pieces) this.#deliver(p);
      if (this.#chunked.done) this.#finish();
      return;
    }
    if (this.#framing.kind === 'length' && this.#pos - this.#start >= this.#left) {
      this.#pos = this.#start + this.#left; // bytes past the declared length are not the body's
      this.#emit();
      this.#finish();
      return;
    }
    if (this.#pos - this.#start >= EMIT || this.#slab.byteLength - this.#pos < MIN_READ) this.#emit();
  }

  #emit(): void {
    if (this.#pos === this.#start) return;
    const piece = this.#slab.subarray(this.#start, this.#pos);
    this.#start = this.#pos;
    this.#left -= piece.byteLength;
    this.#deliver(piece);
  }

  #deliver(piece: Buffer): void {
    if (this.#current && piece.buffer === this.#current.buf.buffer) {
      this.#current.out++;
      this.#out.set(piece, this.#current);
    }
    if (!this.#started) this.#held.push(piece);
    else if (this.#body?.push(piece) === false) this.#socket.pause();
  }

  /**
   * The consumer is done with `piece` (a buffer the body handed on, itself, not a copy or a part of it): its
   * bytes may be read over. Anything else is ignored, so a piece is given back once at most.
   */
  #recycle(piece: Buffer): void {
    const slab = this.#out.get(piece);
    if (!slab) return;
    this.#out.delete(piece);
    slab.out--;
    if (slab !== this.#current) this.#release(slab);
  }

  /**
   * Keeps a slab that is no longer read into for reuse, once no piece of it is out: every one, so the reader never
   * allocates more slabs than were out at once (which the consumer bounds: copyTo() pauses at 4 MiB), instead of
   * dropping the fifth spare and allocating a fresh one later (1 GiB pull: 10–18k page faults → ~8.4k, peak RSS
   * 67–89 → 66 MiB).
   */
  #release(slab: Slab): void {
    if (slab.out === 0 && this.#phase !== 'done') this.#spare.push(slab);
  }

  /** The body's read(): the first one hands on what waited (then its end or failure); each one lets the socket read. */
  #read(): void {
    if (!this.#started) {
      this.#started = true;
      const held = this.#held;
      this.#held = [];
      for (const p of held) this.#body?.push(p);
      if (this.#failure) return void this.#body?.destroy(this.#failure);
      if (this.#complete) return void this.#body?.push(null);
    }
    if (this.#phase === 'body') this.#socket.resume();
  }

  /** The server closed its side: the end of a body framed by the close, too early for the others. */
  #onEnd(): void {
    if (this.#phase !== 'body' || this.#framing.kind !== 'close') return; // 'close' follows and fails it
    this.#emit();
    this.#finish();
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    this.#complete = true;
    if (this.#started) this.#body?.push(null);
    this.#close();
  }

  #fail(e: unknown): void {
    if (this.#phase === 'done') return;
    const err = e instanceof Error ? e : new Error(String(e));
    const before = this.#phase === 'head';
    // what arrived before a cut is handed on first, so that a resumed GET (Range) starts right after it
    if (!before && this.#framing.kind === 'length' && !isAbortError(err)) this.#emit();
    this.#close();
    if (before) this.#reject(err);
    else if (this.#started) this.#body?.destroy(err);
    else this.#failure = err;
  }

  #close(): void {
    this.#phase = 'done';
    this.#floor.stop();
    this.#disarmConnect();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
  }
}

/** A slab the socket reads into, and how many of the pieces handed on from it are still out. */
interface Slab {
  readonly buf: Buffer;
  out: number;
}

/** Where reads go once nothing more is wanted from the socket. */
const DISCARD = Buffer.allocUnsafe(16 << 10);

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value))
      throw Object.assign(
        new TypeError(`invalid character in the ${TOKEN.test(name) ? `${name} ` : ''}request header`),
        { code: 'ERR_INVALID_CHAR' },
      );
    if (name !== 'host' && name !== 'connection') lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\nconnection: close\r\n\r\n`;
}

function hangUp(when: string): Error {
  return Object.assign(new Error(`socket hang up ${when}`), { code: 'ECONNRESET' });
}
