import type { VerifyStream } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { scopesOf, type RepoRef } from './manifests.js';
import { responseError } from './registry-error.js';
import { ResumableBlob } from './resumable-blob.js';
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
 * The blob as a verified stream (errors of the first request are thrown here). `sizeOnly`: only the size is
 * checked, for a destination that checks the digest itself (IoOptions.sizeOnly).
 */
export async function fetchBlob(r: RepoRef, d: Descriptor, sizeOnly = false): Promise<VerifyStream> {
  return new ResumableBlob(r, d, await openBlob(r, d, 0), !sizeOnly, (offset) => openBlob(r, d, offset));
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
