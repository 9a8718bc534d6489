import { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { RegistryClient } from './client.js';
import { scopesOf, type RepoRef } from './manifests.js';
import { responseError } from './registry-error.js';
import { classify } from './transport/net-errors.js';
import { backoffMs, sleep } from './transport/retry.js';
import { discard, header, type HttpResponse } from './transport/http.js';

/** Network reads are regrouped into chunks this big before hashing: per-chunk overhead dominates below it. */
const CHUNK = 1 << 20;

/** HEAD of a blob: present (with the declared size) or not. */
export async function blobExists(r: RepoRef, d: Descriptor): Promise<boolean> {
  const what = `checking blob ${d.digest} on ${r.name}`;
  const res = await r.client.send({ method: 'HEAD', url: `/v2/${r.repository}/blobs/${d.digest}`, repository: r.repository, scopes: scopesOf(r), signal: r.signal, what });
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

/**
 * Streams a blob: the body in 1 MiB chunks, and when the connection drops mid-blob, a new request with
 * `Range: bytes=<received>-` continues where it stopped (up to the retry policy's attempts). A server that
 * cannot resume (no 206) makes the drop an error. Bytes are not verified here: the caller wraps the stream in
 * a VerifyStream, which sees every byte exactly once, across resumptions.
 */
async function* blobChunks(r: RepoRef, d: Descriptor): AsyncGenerator<Buffer> {
  const client: RegistryClient = r.client;
  const what = `fetching blob ${d.digest} from ${r.name}`;
  const policy = client.transport.retryPolicy;
  let received = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = received > 0 ? { range: `bytes=${received}-` } : {};
    const res = await client.send({ method: 'GET', url: `/v2/${r.repository}/blobs/${d.digest}`, headers, repository: r.repository, scopes: scopesOf(r), signal: r.signal, what });
    if (received > 0 && !resumedAt(res, received)) {
      discard(res);
      throw new ScrydonError('network_error', `${what}: the connection dropped after ${received} of ${d.size} bytes, and ${r.client.registry} cannot resume (${res.status})`);
    }
    if (received === 0) {
      if (res.status !== 200) throw await responseError(res, { what, registry: client.registry, code: 'fetch_failed' });
      const len = header(res, 'content-length');
      if (len !== undefined && Number(len) !== d.size) {
        discard(res);
        throw new ScrydonError('size_mismatch', `${what}: the registry sends ${len} bytes, the descriptor says ${d.size}`);
      }
    }
    try {
      for await (const c of res.body) {
        const b = c as Buffer;
        received += b.byteLength;
        pending.push(b);
        pendingBytes += b.byteLength;
        if (pendingBytes >= CHUNK) {
          yield pending.length === 1 ? b : Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      return;
    } catch (e) {
      res.body.destroy();
      if (classify(e).kind !== 'network' || attempt >= policy.attempts || received >= d.size) throw e;
      // keep what arrived: the resumed request starts after it
      if (pendingBytes > 0) yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await sleep(backoffMs(policy, attempt), r.signal);
    }
  }
}

/** The blob as a stream (not yet verified: see blobChunks). */
export function fetchBlob(r: RepoRef, d: Descriptor): Readable {
  return Readable.from(blobChunks(r, d), { objectMode: false, highWaterMark: 4 * CHUNK });
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
        const del = await r.client.send({ method: 'DELETE', url, repository: r.repository, scopes: scopesOf(r), signal: r.signal, what }).catch(() => undefined);
        if (del) discard(del);
      }
    }
    return false;
  }
  return false;
}
