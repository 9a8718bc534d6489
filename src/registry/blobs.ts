import { VerifyStream } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { scopesOf, type RepoRef } from './manifests.js';
import { responseError } from './registry-error.js';
import { bodyError, classify } from './transport/net-errors.js';
import { TIMEOUT_RETRIES } from './transport/time-bounds.js';
import { sleep } from '../sleep.js';
import { backoffMs } from './transport/retry.js';
import { discard, header, type HttpResponse } from './transport/http.js';

/** HEAD of a blob: present (with the declared size) or not. */
export async function blobExists(r: RepoRef, d: Descriptor): Promise<boolean> {
  const what = `checking blob ${d.digest} on ${r.name}`;
  const res = await r.client.send({
    method: 'HEAD',
    url: `/v2/${r.repository}/blobs/${d.digest}`,
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  discard(res);
  if (res.status === 404) return false;
  if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
  const len = header(res, 'content-length');
  return len === undefined || Number(len) === d.size;
}

/** `bytes=N-` answered: 206 with a Content-Range starting at N. */
function resumedAt(res: HttpResponse, offset: number): boolean {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '');
  return res.status === 206 && m !== null && Number(m[1]) === offset;
}

/** Blobs at least this large are read on a connection of their own (transport/bulk-get.ts); smaller ones share the pool. */
const BULK_MIN_BYTES = 1 << 20;

/** GET of a blob from `offset` on: the first request must answer 200 with the declared size, a resumption 206. */
async function openBlob(r: RepoRef, d: Descriptor, offset: number): Promise<HttpResponse> {
  const what = `fetching blob ${d.digest} from ${r.name}`;
  const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
  const bulk = d.size - offset >= BULK_MIN_BYTES;
  const res = await r.client.send({
    method: 'GET',
    url: `/v2/${r.repository}/blobs/${d.digest}`,
    headers,
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
    bulk,
  });
  if (offset > 0) {
    if (resumedAt(res, offset)) return res;
    discard(res);
    throw new ScrydonError(
      'network_error',
      `${what}: the connection dropped after ${offset} of ${d.size} bytes, and ${r.client.registry} cannot resume (${res.status})`,
    );
  }
  if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
  const len = header(res, 'content-length');
  if (len !== undefined && Number(len) !== d.size) {
    discard(res);
    throw new ScrydonError('size_mismatch', `${what}: the registry sends ${len} bytes, the descriptor says ${d.size}`);
  }
  return res;
}

/**
 * A blob's body, verified as it arrives, that survives a dropped connection: when the response breaks off
 * mid-blob, a new request with `Range: bytes=<received>-` continues where it stopped (within the retry
 * policy's attempts); a server that cannot resume (no 206) makes the drop an error. It is the VerifyStream of
 * the blob itself: each chunk is counted and hashed in the socket's data handler and pushed on as is (no
 * second stream to pass through), and the size and digest are checked once the last byte is in.
 */
class ResumableBlob extends VerifyStream {
  readonly #r: RepoRef;
  readonly #d: Descriptor;
  #res: HttpResponse | undefined;
  #attempt = 1;
  /** Attempts that ran out of time (time-bounds.ts): resumed TIMEOUT_RETRIES times at most. */
  #timeouts = 0;
  #reopening = false;
  /** A consumer asked for data (_read) and push() has not refused more since; until then nothing is read. */
  #wanted = false;

  constructor(r: RepoRef, d: Descriptor, first: HttpResponse, hashes: boolean) {
    super(d, r.name, undefined, hashes);
    this.#r = r;
    this.#d = d;
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
      else if (!this.push(c)) {
        this.#wanted = false;
        body.pause();
      }
    });
    body.on('end', () => {
      if (this.#res !== res) return;
      if (this.accounted >= this.#d.size)
        this.end(); // the writable side's end runs VerifyStream's final check
      else
        this.#dropped(
          res,
          new ScrydonError('network_error', `the body ended after ${this.accounted} of ${this.#d.size} bytes`),
        );
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
      .then(() => openBlob(this.#r, this.#d, this.accounted))
      .then((next) => {
        this.#reopening = false;
        if (this.destroyed) next.body.destroy();
        else this.#attach(next);
      })
      .catch((err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))));
  }

  override _read(): void {
    this.#wanted = true;
    if (!this.#reopening) this.#res?.body.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#res?.body.destroy();
    this.#res = undefined;
    super._destroy(err, cb);
  }
}

/**
 * The blob as a verified stream (errors of the first request are thrown here). `sizeOnly`: only the size is
 * checked, for a destination that checks the digest itself (IoOptions.sizeOnly).
 */
export async function fetchBlob(r: RepoRef, d: Descriptor, sizeOnly = false): Promise<VerifyStream> {
  return new ResumableBlob(r, d, await openBlob(r, d, 0), !sizeOnly);
}

/**
 * Cross-repository mount (POST …/uploads/?mount=&from=): true when the registry mounted the blob. A registry
 * that declines opens an upload session instead (202), which is cancelled; the caller then copies.
 */
export async function mountBlob(r: RepoRef, d: Descriptor, from: string): Promise<boolean> {
  const what = `mounting blob ${d.digest} from ${from} into ${r.name}`;
  const q = new URLSearchParams({ mount: d.digest, from });
  const res = await r.client.send({
    method: 'POST',
    url: `/v2/${r.repository}/blobs/uploads/?${q.toString()}`,
    repository: r.repository,
    scopes: [...scopesOf(r), `repository:${from}:pull`],
    signal: r.signal,
    what,
  });
  discard(res);
  if (res.status === 201) return true;
  if (res.status === 202) {
    const loc = header(res, 'location');
    if (loc) {
      const url = new URL(loc, res.url);
      if (url.origin === res.url.origin) {
        const del = await r.client
          .send({ method: 'DELETE', url, repository: r.repository, scopes: scopesOf(r), signal: r.signal, what })
          .catch(() => undefined);
        if (del) discard(del);
      }
    }
    return false;
  }
  return false;
}
