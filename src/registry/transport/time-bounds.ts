import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { abortError } from './net-errors.js';

/**
 * The time bounds of every request (catalog-spec/limits.md, "Time bounds"). skopeo (containers/image) and oras
 * (oras-go on Go's DefaultTransport) both dial with a 30 s timeout and allow 10 s for the TLS handshake, and
 * neither bounds a silent or dripping answer (skopeo only with --command-timeout): scrydon connects within the
 * same 30 s (TCP, then TLS, together), and also bounds silence and drips.
 */
export interface NetTimeouts {
  /** A new connection (TCP, then TLS) is made within this, or the attempt fails. */
  connectMs: number;
  /** Nothing sent or received on a connection for this long, while a request waits on it: the attempt fails. */
  idleMs: number;
  /**
   * The speed floor: once an answer has begun arriving, every window of `idleMs` brings at least this many bytes
   * per second (unless scrydon itself holds the body back), or the attempt fails. A drip (a few bytes every few
   * seconds) resets an idle timer forever; it cannot stay above a floor.
   */
  minBytesPerSecond: number;
}

export const DEFAULT_TIMEOUTS: NetTimeouts = { connectMs: 30_000, idleMs: 60_000, minBytesPerSecond: 1024 };

/** A timed-out attempt is retried this many times at most (other dropped connections: the retry policy's count). */
export const TIMEOUT_RETRIES = 1;

/** What an attempt was doing when a bound ran out: it goes into the `timeout` error's message. */
type Step = 'connecting' | 'waiting for the answer' | 'receiving the answer';

/** A per-attempt bound that ran out: ETIMEDOUT, so retried like a dropped connection (at most TIMEOUT_RETRIES times). */
function stalled(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The idle bound's failure: nothing moved on the connection for `ms`. */
export function idleFailure(ms: number, step: Step): Error {
  return stalled(`no data for ${seconds(ms)} (${step})`);
}

/**
 * Whether `socket` is a TLS socket. By its `encrypted` flag, not `instanceof TLSSocket`: a value import of node:tls
 * here would load TLS (and read its root certificates) in every command, since the CLI's start-up imports this
 * module for its default timeouts.
 */
function isTls(socket: Socket): socket is TLSSocket {
  return (socket as Partial<TLSSocket>).encrypted === true;
}

/** Whether `socket` is still connecting: TCP, or the TLS handshake of a TLS socket. */
function connecting(socket: Socket): boolean {
  // a TLS socket has its Finished message once the handshake is done (getProtocol() answers before that)
  return socket.connecting || (isTls(socket) && socket.getFinished() === undefined);
}

/** What an attempt is doing: connecting, or waiting for the first byte of the answer, or receiving it. */
export function stepOf(socket: Socket | undefined, answered: boolean): Step {
  if (answered) return 'receiving the answer';
  return socket === undefined || connecting(socket) ? 'connecting' : 'waiting for the answer';
}

/**
 * Fails `socket` through `fail` unless it connects within `ms` (TCP, then the TLS handshake of a TLS socket). A
 * socket already connected (a pooled one) is left alone. Returns a function that disarms it.
 */
export function boundConnect(socket: Socket, ms: number, fail: (e: Error) => void): () => void {
  if (!connecting(socket)) return () => undefined;
  const tls = isTls(socket);
  const done = tls ? 'secureConnect' : 'connect';
  const timer = setTimeout(
    () => fail(stalled(`no ${tls ? 'TLS ' : ''}connection within ${seconds(ms)} (connecting)`)),
    ms,
  );
  timer.unref();
  const disarm = (): void => {
    clearTimeout(timer);
    socket.off(done, disarm);
    socket.off('close', disarm);
  };
  socket.once(done, disarm);
  socket.once('close', disarm);
  return disarm;
}

interface FloorProbe {
  /** Bytes of the answer received so far (any counter that only grows). */
  received: () => number;
  /** True while scrydon holds the body back (nobody reads, or its buffer is full): not the server's slowness. */
  held: () => boolean;
  fail: (e: Error) => void;
}

/** The speed floor samples its count this many times per window: a drip is ended at most a quarter window late. */
const SAMPLES_PER_WINDOW = 4;

/**
 * The speed floor of one answer (NetTimeouts.minBytesPerSecond): sampled every quarter of an `idleMs` window, it
 * fails the answer once a whole window has brought fewer bytes than the floor allows. Windows start at the first
 * sample that sees bytes of the answer, so a drip is ended between one window and a quarter more after its first
 * byte; waiting for that first byte is the idle bound's, not the floor's. A hold (scrydon's reader behind) starts
 * the count afresh. Stop it once the answer is complete or abandoned.
 */
export class SpeedFloor {
  readonly #probe: FloorProbe;
  readonly #windowMs: number;
  readonly #minBytes: number;
  readonly #rate: string;
  readonly #start: number;
  readonly #timer: NodeJS.Timeout;
  /** The counts of the last samples, oldest first (at most one window's worth); empty until the answer has begun. */
  #samples: number[] = [];

  constructor(t: NetTimeouts, probe: FloorProbe) {
    this.#probe = probe;
    this.#windowMs = t.idleMs;
    this.#minBytes = Math.ceil((t.minBytesPerSecond * t.idleMs) / 1000);
    this.#rate =
      t.minBytesPerSecond % 1024 === 0 ? `${t.minBytesPerSecond / 1024} KiB/s` : `${t.minBytesPerSecond} bytes/s`;
    this.#start = probe.received();
    this.#timer = setInterval(() => this.#sample(), Math.max(1, Math.round(t.idleMs / SAMPLES_PER_WINDOW)));
    this.#timer.unref();
  }

  #sample(): void {
    const n = this.#probe.received();
    if (n === this.#start) return; // no answer yet: the idle bound's
    if (this.#probe.held()) {
      this.#samples = []; // scrydon's own doing: count afresh once the reader takes more
      return;
    }
    this.#samples.push(n);
    if (this.#samples.length <= SAMPLES_PER_WINDOW) return; // not a whole window yet
    const windowAgo = this.#samples.shift() ?? n;
    if (n - windowAgo < this.#minBytes) {
      this.stop();
      this.#probe.fail(
        stalled(
          `only ${n - windowAgo} bytes in ${seconds(this.#windowMs)}, below the floor of ${this.#rate} (receiving the answer)`,
        ),
      );
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Bounds one node:http request and its answer: the connect bound on a new socket, the idle bound, the speed floor;
 * and ties it to `signal`, failing it with an abort error whose cause is the signal's reason (node:http's own
 * handling cuts a body with a bare ECONNRESET, which would lose a deadline). A failure before the answer fails
 * the request; after it, the answer's body.
 */
export function boundRequest(req: ClientRequest, t: NetTimeouts, signal: AbortSignal | undefined): void {
  let res: IncomingMessage | undefined;
  let sock: Socket | undefined;
  let start = 0;
  let floor: SpeedFloor | undefined;
  let disarm = (): void => undefined;
  const fail = (e: Error): void => {
    floor?.stop();
    if (res && !res.readableEnded) res.destroy(e);
    req.destroy(e);
  };
  const onAbort = (): void => fail(abortError(signal?.reason));
  // the whole answer is in, or the reader is behind (its buffer full, the socket paused): silence is not the server's
  const held = (): boolean => res !== undefined && (res.complete || res.readableLength >= res.readableHighWaterMark);
  req.setTimeout(t.idleMs, () => {
    // (once: a hold means the answer has begun, so the speed floor judges the windows after it)
    if (!held()) fail(idleFailure(t.idleMs, stepOf(sock, res !== undefined || (sock?.bytesRead ?? 0) > start)));
  });
  req.once('socket', (socket: Socket) => {
    sock = socket;
    start = socket.bytesRead;
    disarm = boundConnect(socket, t.connectMs, fail);
    floor = new SpeedFloor(t, { received: () => socket.bytesRead, held, fail });
  });
  req.once('response', (r: IncomingMessage) => (res = r));
  req.once('close', () => {
    floor?.stop();
    disarm();
    signal?.removeEventListener('abort', onAbort);
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
}
