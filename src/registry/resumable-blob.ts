import { VerifyStream } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { prematureClose } from '../fs/file-sink.js';
import type { Descriptor } from '../oci/descriptor.js';
import { sleep } from '../sleep.js';
import type { RepoRef } from './manifests.js';
import { bodyError, classify } from './transport/net-errors.js';
import type { HttpResponse } from './transport/http.js';
import { backoffMs } from './transport/retry.js';
import { TIMEOUT_RETRIES } from './transport/time-bounds.js';

/** copyTo(): the response is paused while this many bytes wait for their write. */
const MAX_QUEUED = 4 << 20;

/** Opens the blob again from `offset` on (a 206 answer), after a drop. */
type Reopen = (offset: number) => Promise<HttpResponse>;

/**
 * A blob's body, verified as it arrives, that survives a dropped connection: when the response breaks off
 * mid-blob, a new request with `Range: bytes=<received>-` continues where it stopped (within the retry
 * policy's attempts); a server that cannot resume (no 206) makes the drop an error. It is the VerifyStream of
 * the blob itself: each chunk is counted and hashed in the socket's data handler and pushed on as is (no
 * second stream to pass through), and the size and digest are checked once the last byte is in.
 *
 * A consumer that writes to a file (writeAllTo) or a socket can call copyTo() instead of reading (fs/file-sink.ts
 * ChunkPusher): each chunk, hashed, goes to its write, one write at a time, and is handed back to the response
 * (HttpResponse.recycle) once written, so the socket reads into the same few buffers again.
 */
export class ResumableBlob extends VerifyStream {
  readonly #r: RepoRef;
  readonly #d: Descriptor;
  readonly #reopen: Reopen;
  #res: HttpResponse | undefined;
  #attempt = 1;
  /** Attempts that ran out of time (time-bounds.ts): resumed TIMEOUT_RETRIES times at most. */
  #timeouts = 0;
  #reopening = false;
  /** A consumer asked for data (_read, or copyTo with room to queue) and nothing has refused more since. */
  #wanted = false;
  #mode: 'idle' | 'stream' | 'direct' = 'idle';
  /** copyTo(): where each verified chunk goes, and what follows the last one. */
  #direct: { take: (c: Buffer, res: HttpResponse) => void; end: () => void } | undefined;

  constructor(r: RepoRef, d: Descriptor, first: HttpResponse, hashes: boolean, reopen: Reopen) {
    super(d, r.name, undefined, hashes);
    this.#r = r;
    this.#d = d;
    this.#reopen = reopen;
    // a failure before the consumer listens (an abort while the store opens its file, a refused upload POST)
    // stays in the stream's errored state, where every consumer looks, instead of crashing the process
    this.on('error', () => undefined);
    this.#attach(first);
  }

  #attach(res: HttpResponse): void {
    this.#res = res;
    const body = res.body;
    body.on('data', (c: Buffer) => {
      const bad = this.account(c);
      if (bad) this.destroy(bad);
      else if (this.#direct) this.#direct.take(c, res);
      else if (!this.push(c)) {
        this.#wanted = false;
        body.pause();
      }
    });
    body.on('end', () => {
      if (this.#res !== res) return;
      if (this.accounted < this.#d.size)
        this.#dropped(
          res,
          new ScrydonError('network_error', `the body ended after ${this.accounted} of ${this.#d.size} bytes`),
        );
      else if (this.#direct) this.#direct.end();
      else this.end(); // the writable side's end runs VerifyStream's final check
    });
    body.on('error', (e) => {
      if (this.#res === res) this.#dropped(res, e);
    });
    // not read (and so not verified) before someone reads: an error must find its consumer listening
    if (!this.#wanted) body.pause();
  }

  #dropped(res: HttpResponse, e: unknown): void {
    this.#res = undefined;
    res.body.destroy();
    const policy = this.#r.client.transport.retryPolicy;
    const { kind, code } = classify(e);
    if (code === 'ETIMEDOUT') this.#timeouts++;
    if (
      this.destroyed ||
      kind !== 'network' ||
      this.#attempt >= policy.attempts ||
      this.#timeouts > TIMEOUT_RETRIES ||
      this.accounted >= this.#d.size
    ) {
      this.destroy(bodyError(e, `fetching blob ${this.#d.digest} from ${this.#r.name}`, res.url.host, this.#attempt));
      return;
    }
    this.#reopening = true;
    const wait = backoffMs(policy, this.#attempt++);
    sleep(wait, this.#r.signal)
      .then(() => this.#reopen(this.accounted))
      .then((next) => {
        this.#reopening = false;
        if (this.destroyed) next.body.destroy();
        else this.#attach(next);
      })
      .catch((err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))));
  }

  #want(): void {
    this.#wanted = true;
    if (!this.#reopening) this.#res?.body.resume();
  }

  override _read(): void {
    if (this.#mode === 'idle') this.#mode = 'stream';
    this.#want();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#res?.body.destroy();
    this.#res = undefined;
    super._destroy(err, cb);
  }

  /** Whether copyTo() may still be used (nothing has been read as a stream). */
  get direct(): boolean {
    return this.#mode === 'idle' && !this.destroyed;
  }

  /**
   * Hands every chunk, hashed, to `write` in order, one write at a time (the chunks that arrived meanwhile go
   * together to `writeMany` when given), and resolves once the last write is done and all bytes passed the size
   * and digest check. A write must be done with its chunks when its promise resolves: they then go back to the
   * response, whose socket reads into them again. A failure (of the body, a write, the check, or `signal`)
   * rejects once no write is in flight.
   */
  copyTo(
    write: (chunk: Buffer) => Promise<void>,
    signal?: AbortSignal,
    writeMany?: (chunks: Buffer[]) => Promise<void>,
  ): Promise<void> {
    if (this.#mode !== 'idle')
      return Promise.reject(new ScrydonError('internal', `blob ${this.#d.digest}: body already being read`));
    this.#mode = 'direct';
    return new Promise<void>((resolve, reject) => {
      let queued: Array<{ c: Buffer; res: HttpResponse }> = [];
      let queuedBytes = 0;
      let writing = false;
      let ended = false;
      let failure: Error | undefined;
      const onAbort = (): void =>
        void this.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      /** Settles once no write is in flight: nothing is left writing into what the caller will discard. */
      const settle = (): void => {
        if (writing) return;
        signal?.removeEventListener('abort', onAbort);
        if (failure) reject(failure);
        else {
          resolve();
          this.destroy();
        }
      };
      const pump = (): void => {
        if (writing || failure) return;
        if (queued.length === 0) {
          if (ended) settle();
          return;
        }
        const batch = queued;
        queued = [];
        writing = true;
        const chunks = batch.map((q) => q.c);
        const done = writeMany && chunks.length > 1 ? writeMany(chunks) : inOrder(chunks, write);
        done.then(
          () => {
            writing = false;
            for (const q of batch) {
              queuedBytes -= q.c.byteLength;
              q.res.recycle?.(q.c);
            }
            if (!this.#wanted && queuedBytes < MAX_QUEUED) this.#want();
            if (failure) settle();
            else pump();
          },
          (e: unknown) => {
            writing = false;
            if (failure) settle();
            else this.destroy(e instanceof Error ? e : new Error(String(e)));
          },
        );
      };
      this.once('close', () => {
        if (ended && !failure) return; // destroyed by settle() once complete
        failure = this.errored ?? prematureClose();
        queued = [];
        settle();
      });
      this.#direct = {
        take: (c, res) => {
          queued.push({ c, res });
          queuedBytes += c.byteLength;
          if (queuedBytes >= MAX_QUEUED) {
            this.#wanted = false;
            res.body.pause();
          }
          pump();
        },
        end: () => {
          const bad = this.conclude();
          if (bad) return void this.destroy(bad);
          ended = true;
          pump();
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.destroyed) {
        failure = this.errored ?? prematureClose();
        return settle();
      }
      this.#want();
    });
  }
}

async function inOrder(chunks: readonly Buffer[], write: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (const c of chunks) await write(c);
}
