import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ScrydonError } from '../../errors.js';
import type { HostSettings } from '../settings.js';
import { isChunkPusher, type ChunkPusher } from '../../fs/file-sink.js';
import { fastPaths } from '../../fast-paths.js';
import { bulkGet } from './bulk-get.js';
import { Dispatchers } from './dispatchers.js';
import { proxyAuthorization, proxyEndpoint, type ProxyConfig } from './proxy.js';
import { proxyAuthRequired } from './tunnel-agent.js';
import { classify, netError } from './net-errors.js';
import { sleep } from '../../sleep.js';
import { backoffMs, DEFAULT_RETRY, retryableStatus, retryAfterMs, type RetryPolicy } from './retry.js';
import { boundRequest, DEFAULT_TIMEOUTS, TIMEOUT_RETRIES, type NetTimeouts } from './time-bounds.js';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** A Buffer can be resent (retries, redirects); a stream cannot, so a streamed request is sent once. */
  body?: Buffer | Readable;
  signal?: AbortSignal | undefined;
  /** What the request is for, in messages: `fetching manifest ghcr.io/acme/fraud:1.2.0`. */
  what: string;
  /** A GET of a large body (a blob): read on a connection of its own into large buffers (bulk-get.ts). */
  bulk?: boolean;
  /** Asked before a redirect is followed to another host (the registry gate); throws to refuse it. */
  onRedirect?: (to: URL) => void;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Consume it, or call discard(): an unread body holds its connection. */
  body: Readable;
  /** The URL that answered (after redirects). */
  url: URL;
  /** The body has a connection of its own (bulk-get.ts): discard() closes it rather than reading it to its end. */
  ownConnection?: boolean;
  /**
   * Optional (bulk-get.ts): the consumer hands back a buffer the body gave it, itself, once it is done with its
   * bytes, so that their memory can be read into again. A consumer that never calls it loses nothing.
   */
  recycle?: (piece: Buffer) => void;
}

/** One header's value (the first, when repeated). */
export function header(r: HttpResponse, name: string): string | undefined {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Every value of a header (repeated headers, e.g. several WWW-Authenticate or Link). */
export function headerAll(r: HttpResponse, name: string): string[] {
  const v = r.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The `Link: <…>; rel="next"` of a paginated answer (tags, referrers), resolved against the URL that answered. */
export function nextLink(r: HttpResponse): URL | undefined {
  for (const v of headerAll(r, 'link')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(v);
    if (m?.[1]) return new URL(m[1], r.url);
  }
  return undefined;
}

/** Drops a response body without reading it (a pooled connection is freed for the next request). */
export function discard(r: HttpResponse): void {
  r.body.on('error', () => undefined);
  if (r.ownConnection) r.body.destroy();
  else r.body.resume();
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Headers that must not follow a redirect to another origin (sigstore-js's oci client does the same). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

interface TransportOptions {
  settingsFor: (host: string) => HostSettings;
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY (transport/proxy.ts). */
  proxy?: ProxyConfig;
  retry?: RetryPolicy;
  /** Connect, idle and speed-floor bounds of every attempt (time-bounds.ts); DEFAULT_TIMEOUTS when not given. */
  timeouts?: NetTimeouts;
  userAgent?: string;
}

/**
 * HTTP for the registry client: keep-alive pools per origin with each registry's TLS policy, retries with
 * backoff on 429/5xx/dropped connections (honouring Retry-After), and redirects followed by hand so that
 * credentials never go to another origin and https never downgrades to http. Every attempt is bounded in time
 * (time-bounds.ts: connect, idle, speed floor), and an attempt that ran out of time is retried once at most, so
 * a stalled server costs at most two bounds per request, not one per retry.
 */
export class HttpTransport {
  readonly #dispatchers: Dispatchers;
  readonly #retry: RetryPolicy;
  readonly #userAgent: string;
  readonly #settingsFor: (host: string) => HostSettings;
  readonly #timeouts: NetTimeouts;
  readonly #busy = new Map<number, string>();
  #nextId = 0;

  constructor(o: TransportOptions) {
    this.#settingsFor = o.settingsFor;
    this.#timeouts = o.timeouts ?? DEFAULT_TIMEOUTS;
    this.#dispatchers = new Dispatchers(o.settingsFor, o.proxy, this.#timeouts.idleMs);
    this.#retry = o.retry ?? DEFAULT_RETRY;
    this.#userAgent = o.userAgent ?? 'scrydon';
  }

  get retryPolicy(): RetryPolicy {
    return this.#retry;
  }

  /** The steps under way (HttpRequest.what), oldest first: from the request until its answer's body is read or dropped. */
  busy(): string[] {
    return [...this.#busy.values()];
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const id = this.#nextId++;
    this.#busy.set(id, req.what);
    try {
      const res = await this.#sendWithRetries(req);
      res.body.once('close', () => this.#busy.delete(id));
      return res;
    } catch (e) {
      this.#busy.delete(id);
      throw e;
    }
  }

  async #sendWithRetries(req: HttpRequest): Promise<HttpResponse> {
    const resendable = !(req.body instanceof Readable);
    const attempts = resendable ? this.#retry.attempts : 1;
    let timeouts = 0;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await this.#followRedirects(req);
      } catch (e) {
        const { kind, code } = classify(e);
        if (code === 'ETIMEDOUT') timeouts++;
        if (attempt < attempts && kind === 'network' && timeouts <= TIMEOUT_RETRIES) {
          await sleep(backoffMs(this.#retry, attempt), req.signal);
          continue;
        }
        throw netError(
          e,
          req.what,
          req.url.host,
          this.#settingsFor(req.url.host).plainHttp,
          this.#dispatchers.route(req.url).via?.proxy.host,
          attempt,
        );
      }
      if (attempt < attempts && retryableStatus(res.status)) {
        discard(res);
        await sleep(backoffMs(this.#retry, attempt, retryAfterMs(header(res, 'retry-after'))), req.signal);
        continue;
      }
      return res;
    }
  }

  async #followRedirects(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers: Record<string, string> = { 'user-agent': this.#userAgent, ...lower(req.headers ?? {}) };
    let method = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      // a bulk GET connects by itself: not through a proxy
      const res =
        req.bulk && fastPaths() && method === 'GET' && body === undefined && !this.#dispatchers.route(url).via
          ? await bulkGet({
              url,
              headers,
              signal: req.signal,
              tls: url.protocol === 'https:' ? this.#dispatchers.tlsOptions(url) : {},
              ...this.#timeouts,
            })
          : await this.#once(method, url, headers, body, req.signal);
      const location = header(res, 'location');
      const follow =
        REDIRECTS.has(res.status) &&
        location !== undefined &&
        (method === 'GET' || method === 'HEAD' || res.status === 303);
      if (!follow) return res;
      discard(res);
      if (hop >= MAX_REDIRECTS) throw new ScrydonError('registry_error', `too many redirects while ${req.what}`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new ScrydonError(
          'registry_error',
          `redirect to an unsupported scheme ${next.protocol} while ${req.what}`,
        );
      if (url.protocol === 'https:' && next.protocol === 'http:') {
        throw new ScrydonError(
          'registry_error',
          `refusing a redirect from https to plain http (${next.host}) while ${req.what}`,
        );
      }
      if (next.host !== url.host) req.onRedirect?.(next);
      if (next.origin !== url.origin)
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
      if (res.status === 303) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  #once(
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | Readable | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const { agent, via } = this.#dispatchers.route(url);
      // the signal is handled by boundRequest, not by node:http, so that a body cut by it carries its reason
      const common = { method, agent, ...(via?.tunnel && signal ? { tunnelSignal: signal } : {}) };
      let req: ClientRequest;
      if (via && !via.tunnel) {
        // plain http through a proxy: the request in absolute form to the proxy
        const auth = proxyAuthorization(via.proxy);
        const proxy = proxyEndpoint(via.proxy);
        req = (proxy.https ? httpsRequest : httpRequest)({
          ...common,
          ...proxy.options,
          path: url.href,
          headers: { ...headers, host: url.host, ...(auth ? { 'proxy-authorization': auth } : {}) },
        });
      } else req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { ...common, headers });
      req.once('response', (res: IncomingMessage) => {
        if (via && !via.tunnel && res.statusCode === 407) {
          res.resume();
          reject(proxyAuthRequired(via.proxy, url.host, 'HTTP_PROXY'));
          return;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
      });
      req.on('error', reject); // every error: a body still being written can fail again after the first
      boundRequest(req, this.#timeouts, signal);
      if (signal?.aborted) return; // failed by boundRequest: nothing is sent
      if (isChunkPusher(body)) sendChunks(req, body, signal);
      else if (body instanceof Readable) {
        body.once('error', (e) => req.destroy(e));
        body.pipe(req);
      } else req.end(body);
    });
  }

  async close(): Promise<void> {
    this.#dispatchers.close();
  }
}

/**
 * A store blob going up: positional reads into a few reused 1 MiB buffers, each written once the socket has
 * taken the one before (FileRangeBody.copyTo). Piped as a stream, every chunk was a fresh 1 MiB allocation,
 * whose page faults cost more system time than the copy into the socket (1 GiB: ~0.2 s).
 */
function sendChunks(req: ClientRequest, body: ChunkPusher, signal: AbortSignal | undefined): void {
  const gone = new Promise<never>((_, reject) =>
    req.once('close', () => reject(new Error('the request closed while its body was being sent'))),
  );
  gone.catch(() => undefined);
  const write = (chunk: Buffer): Promise<void> => {
    // an aborted or failed request is not written to again (Node would raise one more error on it)
    if (req.destroyed) return Promise.reject(new Error('the request closed while its body was being sent'));
    return Promise.race([
      new Promise<void>((resolve, reject) => req.write(chunk, (e) => (e ? reject(e) : resolve()))),
      gone,
    ]);
  };
  body.copyTo(write, signal).then(
    () => req.end(),
    (e: unknown) => req.destroy(e instanceof Error ? e : new Error(String(e))),
  );
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
