import type { Readable } from 'node:stream';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { scopesOf, type RepoRef } from './manifests.js';
import { responseError } from './registry-error.js';
import { discard, header, type HttpResponse } from './transport/http.js';

/** Blobs up to this size are read whole before their PUT (which can then be retried); larger ones stream into it. */
const MONOLITHIC_MAX = 8 * 1024 * 1024;

/**
 * The next upload URL from a Location header: resolved against the URL that answered, and required to stay on
 * that origin (no other host, no https → http), so a registry cannot steer an upload and its token elsewhere
 * (oras-go's fix for GHSA-jxpm-75mh-9fp7).
 */
function uploadLocation(res: HttpResponse, what: string): URL {
  const loc = header(res, 'location');
  if (!loc) throw new ScrydonError('registry_error', `${what}: the registry answered ${res.status} without a Location`);
  let url: URL;
  try {
    url = new URL(loc, res.url);
  } catch {
    throw new ScrydonError('registry_error', `${what}: the upload Location is not a URL`);
  }
  if (url.origin !== res.url.origin) {
    throw new ScrydonError(
      'registry_error',
      `${what}: refusing an upload Location on another origin (${url.protocol}//${url.host})`,
    );
  }
  return url;
}

function withDigest(url: URL, d: Descriptor): URL {
  const u = new URL(url);
  u.searchParams.set('digest', d.digest);
  return u;
}

/**
 * Uploads a blob (OCI distribution "push"): POST opens a session, then one PUT with the digest carries the
 * bytes (the spec's monolithic upload, as oras-go pushes every blob): a small blob read whole (so the PUT can
 * be retried), a large one streamed from the store. One request fewer than a PATCH closed by an empty PUT, and
 * the registry keeps no resumable-hash state between them. The registry checks the digest (the copy routine
 * leaves that to it: `body` is only size-checked), so corrupt bytes are refused there and never committed.
 */
export async function uploadBlob(r: RepoRef, d: Descriptor, body: Readable): Promise<void> {
  const what = `pushing blob ${d.digest} to ${r.name}`;
  const scopes = scopesOf(r);
  try {
    const start = await r.client.send({
      method: 'POST',
      url: `/v2/${r.repository}/blobs/uploads/`,
      repository: r.repository,
      scopes,
      signal: r.signal,
      what,
    });
    if (start.status === 201) {
      discard(start);
      body.destroy();
      return;
    }
    if (start.status !== 202)
      throw await responseError(start, { what, registry: r.client.registry, code: 'push_failed' });
    discard(start);
    const location = uploadLocation(start, what);
    const put = await r.client.send({
      method: 'PUT',
      url: withDigest(location, d),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(d.size) },
      // a small body of the wrong size is size_mismatch, as at every Target (the copy's size-checked body passes as it
      // is)
      body:
        d.size <= MONOLITHIC_MAX
          ? await readAllBounded(verified(body, d, what, undefined, true), d.size, `blob ${d.digest}`)
          : body,
      repository: r.repository,
      scopes,
      signal: r.signal,
      what,
    });
    await expectCreated(put, r, what);
  } catch (e) {
    // the source (a registry's response, a store file) is closed now whichever request failed or was cut short
    // (another blob's failure aborts this one), not left to the garbage collector (Node warns of a handle closed so)
    body.destroy();
    throw e;
  }
}

async function expectCreated(res: HttpResponse, r: RepoRef, what: string): Promise<void> {
  if (res.status !== 201 && res.status !== 204 && res.status !== 200)
    throw await responseError(res, { what, registry: r.client.registry, code: 'push_failed' });
  discard(res);
}
