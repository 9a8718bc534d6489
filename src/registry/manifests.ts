import { createHash } from 'node:crypto';
import type { WalkLimits } from '../content/limits.js';
import { ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { isGraphNodeType, MediaType } from '../oci/media-types.js';
import { pullScope, pushScope } from './auth/scope.js';
import type { RegistryClient } from './client.js';
import { readSmallBody, responseError } from './registry-error.js';
import { discard, header, type HttpResponse } from './transport/http.js';

/** Every manifest type scrydon reads: OCI manifest and index; Docker schema 2 manifest and manifest list. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(', ');

export interface RepoRef {
  client: RegistryClient;
  repository: string;
  /** `registry/repository`, for messages. */
  name: string;
  /** Requests carry the push scope (the repository is a destination). */
  writable: boolean;
  signal?: AbortSignal | undefined;
  /** What listings (tags, referrers) may return (content/limits.ts); the defaults where absent. */
  walkLimits?: Partial<WalkLimits> | undefined;
}

export function scopesOf(r: RepoRef): string[] {
  return [r.writable ? pushScope(r.repository) : pullScope(r.repository)];
}

function sha256(b: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function mediaTypeOf(res: HttpResponse, what: string): string {
  const ct = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!isGraphNodeType(ct)) {
    throw new ScrydonError(
      'unsupported_media_type',
      `${what}: the registry answered Content-Type "${ct.slice(0, 100)}", not an OCI or Docker schema 2 manifest or index`,
      {
        hint: 'Docker schema 1 manifests and other formats are not supported',
      },
    );
  }
  return ct;
}

/** Checks the Docker-Content-Digest header (when sent) against the digest the bytes have. */
function checkDigestHeader(res: HttpResponse, expected: Digest, what: string): void {
  const h = header(res, 'docker-content-digest');
  if (h !== undefined && h !== expected) {
    throw new ScrydonError(
      'digest_mismatch',
      `${what}: the registry says Docker-Content-Digest ${h.slice(0, 80)}, the content hashes to ${expected}`,
      {
        hint: 'the registry (or something between) served inconsistent content; nothing was stored',
      },
    );
  }
}

/** Reads a manifest response body, bounded to 4 MiB, and checks it against what was asked for. */
async function readManifest(
  res: HttpResponse,
  what: string,
  expected?: Digest,
): Promise<{ bytes: Buffer; digest: Digest; mediaType: string }> {
  const mediaType = mediaTypeOf(res, what);
  const bytes = await readSmallBody(res, MAX_MANIFEST_BYTES, what);
  const digest = sha256(bytes);
  if (expected !== undefined && digest !== expected) {
    throw new ScrydonError(
      'digest_mismatch',
      `${what}: the manifest served hashes to ${digest}, not the ${expected} asked for`,
      {
        hint: 'the registry (or something between) served other content; nothing was stored',
      },
    );
  }
  checkDigestHeader(res, digest, what);
  return { bytes, digest, mediaType };
}

/**
 * Resolves a tag or digest to a descriptor: HEAD when the registry sends Docker-Content-Digest (one cheap
 * request; free of Docker Hub's pull limit), else GET and hash the manifest here (its bytes are returned too).
 */
export async function resolveManifest(
  r: RepoRef,
  reference: string,
): Promise<{ descriptor: Descriptor; bytes?: Buffer }> {
  const what = `resolving ${r.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  const path = `/v2/${r.repository}/manifests/${reference}`;
  const head = await r.client.send({
    method: 'HEAD',
    url: path,
    headers: { accept: MANIFEST_ACCEPT },
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  if (head.status === 200) {
    discard(head);
    const digest = header(head, 'docker-content-digest');
    const size = Number(header(head, 'content-length'));
    if (digest && isDigest(digest) && Number.isSafeInteger(size) && size > 0) {
      if (isDigest(reference) && digest !== reference) checkDigestHeader(head, reference, what);
      return { descriptor: { mediaType: mediaTypeOf(head, what), digest, size } };
    }
  } else if (head.status === 404) {
    discard(head);
    throw new ScrydonError('not_found', `${r.name}:${reference} is not on ${r.client.registry}`, {
      hint: 'check the registry, repository and tag',
    });
  } else {
    discard(head);
  }
  const res = await r.client.send({
    method: 'GET',
    url: path,
    headers: { accept: MANIFEST_ACCEPT },
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
  const m = await readManifest(res, what, isDigest(reference) ? reference : undefined);
  return { descriptor: { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength }, bytes: m.bytes };
}

/** Fetches the manifest `d` by digest: bounded, hashed and checked against `d` and Docker-Content-Digest. */
export async function fetchManifest(r: RepoRef, d: Descriptor): Promise<Buffer> {
  const what = `fetching manifest ${d.digest} from ${r.name}`;
  if (d.size > MAX_MANIFEST_BYTES)
    throw new ScrydonError(
      'size_limit_exceeded',
      `${what}: ${d.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  const res = await r.client.send({
    method: 'GET',
    url: `/v2/${r.repository}/manifests/${d.digest}`,
    headers: { accept: MANIFEST_ACCEPT },
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
  const m = await readManifest(res, what, d.digest);
  if (m.bytes.byteLength !== d.size)
    throw new ScrydonError('size_mismatch', `${what}: ${m.bytes.byteLength} bytes, expected ${d.size}`);
  return m.bytes;
}

/** HEAD of a manifest by digest or tag: present or not. */
export async function manifestExists(r: RepoRef, reference: string): Promise<boolean> {
  const what = `checking manifest ${reference} on ${r.name}`;
  const res = await r.client.send({
    method: 'HEAD',
    url: `/v2/${r.repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  discard(res);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
}

/** PUT a manifest under a digest or a tag; returns the response headers' OCI-Subject (the registry handled `subject`). */
export async function putManifest(
  r: RepoRef,
  reference: string,
  d: Descriptor,
  bytes: Buffer,
): Promise<{ ociSubject: string | undefined }> {
  const what = `pushing manifest ${d.digest} to ${r.name}${isDigest(reference) ? '' : `:${reference}`}`;
  const res = await r.client.send({
    method: 'PUT',
    url: `/v2/${r.repository}/manifests/${reference}`,
    headers: { 'content-type': d.mediaType },
    body: bytes,
    repository: r.repository,
    scopes: [pushScope(r.repository)],
    signal: r.signal,
    what,
  });
  if (res.status !== 201 && res.status !== 200)
    throw await responseError(res, { what, registry: r.client.registry, code: 'push_failed' });
  discard(res);
  checkDigestHeader(res, d.digest, what);
  return { ociSubject: header(res, 'oci-subject') };
}
