import { createHash } from 'node:crypto';
import { overLimit, limitsWith, type WalkLimits } from '../content/limits.js';
import { ScrydonError } from '../errors.js';
import { assertDescriptor, MAX_MANIFEST_BYTES, plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { digestHex, type Digest } from '../oci/digest.js';
export { isFallbackTag } from '../oci/reference.js';
import { artifactTypeOf, encodeJson, parseGraphNode, type GraphNode } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';
import { MANIFEST_ACCEPT, putManifest, scopesOf, type RepoRef } from './manifests.js';
import { readSmallBody, responseError } from './registry-error.js';
import type { ReferrersMode } from './settings.js';
import { discard, header, nextLink } from './transport/http.js';

/** The referrers tag schema's tag for a subject: `sha256-<hex>`. */
export function fallbackTag(subject: Digest): string {
  return `sha256-${digestHex(subject)}`;
}

/**
 * Bytes of one subject's referrer list (all its pages) kept at most: 4 KiB for each referrer the limit allows,
 * and never less than one manifest's 4 MiB (what a registry that does not page sends at most).
 */
function listBytes(limits: WalkLimits): number {
  return Math.max(MAX_MANIFEST_BYTES, limits.referrers * 4096);
}

/** Adds `found` to `out`, held to the referrers limit (the subject itself, which some registries list, left out). */
function collect(
  out: Descriptor[],
  found: readonly Descriptor[],
  subject: Descriptor,
  limits: WalkLimits,
  what: string,
): void {
  for (const d of found) {
    if (d.digest === subject.digest) continue;
    if (out.length >= limits.referrers) throw overLimit('referrers', limits.referrers, what);
    out.push(d);
  }
}

function indexManifests(bytes: Buffer, where: string): Descriptor[] {
  const node = parseGraphNode(bytes, MediaType.ociIndex, where);
  if (node.kind !== 'index') throw new ScrydonError('registry_error', `${where}: not an image index`);
  return node.index.manifests.map((m, i) => {
    assertDescriptor(m, `${where}: manifests[${i}]`);
    return m;
  });
}

/**
 * GET /v2/<name>/referrers/<digest>, every page. Undefined when the registry has no referrers API: a 404
 * (distribution 2.8, GHCR), or a "false 200" whose body is not an OCI image index.
 */
async function referrersFromApi(r: RepoRef, subject: Descriptor): Promise<Descriptor[] | undefined> {
  const what = `listing referrers of ${subject.digest} on ${r.name}`;
  const limits = limitsWith(r.walkLimits);
  let url: URL = r.client.url(`/v2/${r.repository}/referrers/${subject.digest}`);
  const out: Descriptor[] = [];
  let left = listBytes(limits);
  for (let page = 0; ; page++) {
    if (page >= limits.listPages) throw overLimit('listPages', limits.listPages, what);
    const res = await r.client.send({
      method: 'GET',
      url,
      headers: { accept: MediaType.ociIndex },
      repository: r.repository,
      scopes: scopesOf(r),
      signal: r.signal,
      what,
    });
    if (res.status === 404 || res.status === 405 || res.status === 400) {
      discard(res);
      return page === 0 ? undefined : out;
    }
    if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
    const ct = (header(res, 'content-type') ?? '').split(';')[0]?.trim();
    if (ct !== MediaType.ociIndex) {
      discard(res);
      return page === 0 ? undefined : out;
    }
    let found: Descriptor[];
    try {
      const body = await readSmallBody(
        res,
        Math.min(MAX_MANIFEST_BYTES, left),
        page === 0 ? what : `${what} (page ${page + 1})`,
      );
      left -= body.byteLength;
      found = indexManifests(body, what);
    } catch (e) {
      if (page === 0 && e instanceof ScrydonError && e.code === 'manifest_invalid') return undefined;
      if (page > 0 && e instanceof ScrydonError && e.code === 'size_limit_exceeded' && left < MAX_MANIFEST_BYTES) {
        throw overLimit(
          'referrers',
          limits.referrers,
          `${what}: its pages come to over ${listBytes(limits)} bytes (4 KiB a referrer)`,
        );
      }
      throw e;
    }
    collect(out, found, subject, limits, what);
    const next = nextLink(res);
    if (!next) return out;
    if (next.origin !== url.origin)
      throw new ScrydonError('registry_error', `${what}: refusing a next page on another origin`);
    url = next;
  }
}

/** The fallback index under `sha256-<hex>`, with its digest; undefined when absent. */
async function fetchFallbackIndex(
  r: RepoRef,
  subject: Descriptor,
): Promise<{ bytes: Buffer; digest: Digest } | undefined> {
  const what = `reading the referrers tag ${fallbackTag(subject.digest)} on ${r.name}`;
  const res = await r.client.send({
    method: 'GET',
    url: `/v2/${r.repository}/manifests/${fallbackTag(subject.digest)}`,
    headers: { accept: MANIFEST_ACCEPT },
    repository: r.repository,
    scopes: scopesOf(r),
    signal: r.signal,
    what,
  });
  if (res.status === 404) {
    discard(res);
    return undefined;
  }
  if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
  const bytes = await readSmallBody(res, MAX_MANIFEST_BYTES, what);
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/**
 * Referrers by the tag schema. A registry that resolves the fallback tag to the subject itself (GitLab, and
 * GHCR and ECR in some modes) would otherwise report the subject's own children as referrers: that answer is
 * recognised by its digest and means "none".
 */
async function referrersFromTag(r: RepoRef, subject: Descriptor): Promise<Descriptor[]> {
  const got = await fetchFallbackIndex(r, subject);
  if (!got || got.digest === subject.digest) return [];
  const where = `${r.name}:${fallbackTag(subject.digest)}`;
  let list: Descriptor[];
  try {
    list = indexManifests(got.bytes, where);
  } catch {
    return [];
  }
  const out: Descriptor[] = [];
  collect(out, list, subject, limitsWith(r.walkLimits), `reading the referrers index ${where}`);
  return out;
}

/** The fallback index entry for a referrer manifest: descriptor, artifactType and the manifest's annotations. */
export function fallbackEntry(d: Descriptor, node: GraphNode): Descriptor {
  const entry: Descriptor = plainDescriptor(d);
  const at = artifactTypeOf(node);
  if (at) entry.artifactType = at;
  const ann = node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations;
  if (ann && Object.keys(ann).length) entry.annotations = ann;
  return entry;
}

/** Adds `entry` to the subject's fallback index (creating it), as the spec's tag schema says. */
export async function addToFallbackIndex(r: RepoRef, subject: Descriptor, entry: Descriptor): Promise<void> {
  const got = await fetchFallbackIndex({ ...r, writable: true }, subject);
  let manifests: Descriptor[] = [];
  if (got && got.digest !== subject.digest) {
    try {
      manifests = indexManifests(got.bytes, `${r.name}:${fallbackTag(subject.digest)}`);
    } catch {
      manifests = [];
    }
  }
  if (manifests.some((m) => m.digest === entry.digest)) return;
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...manifests, entry] });
  const d: Descriptor = {
    mediaType: MediaType.ociIndex,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.byteLength,
  };
  await putManifest({ ...r, writable: true }, fallbackTag(subject.digest), d, bytes);
}

/**
 * Which referrers mechanism a repository uses. `api` and `tag` are what the user chose; `auto` probes the API
 * once per registry and remembers the answer (oras-go does the same).
 */
export class ReferrersProbe {
  readonly mode: ReferrersMode;
  #api: boolean | undefined;

  constructor(mode: ReferrersMode) {
    this.mode = mode;
  }

  /** Known API support: true, false, or undefined before the first answer. */
  get api(): boolean | undefined {
    return this.#api;
  }

  async list(r: RepoRef, subject: Descriptor): Promise<Descriptor[]> {
    if (this.mode !== 'tag' && this.#api !== false) {
      const viaApi = await referrersFromApi(r, subject);
      if (viaApi !== undefined) {
        this.#api = true;
        return viaApi;
      }
      // the API answered before: this subject simply has no referrers there
      if (this.#api === true) return [];
      if (this.mode === 'api') {
        throw new ScrydonError(
          'referrers_unsupported',
          `${r.client.registry} has no referrers API (asked for by --referrers api)`,
          {
            hint: 'use --referrers auto (or tag) to read the referrers tag schema instead',
          },
        );
      }
      this.#api = false;
    }
    return referrersFromTag(r, subject);
  }

  /**
   * After a manifest with a subject was pushed: whether the fallback index must be written too. Not when the
   * user chose `api`; always with `tag`; with `auto`, unless the registry both answered OCI-Subject and has a
   * working referrers API (ECR sent the header without having the API).
   */
  async needsFallback(r: RepoRef, subject: Descriptor, ociSubject: string | undefined): Promise<boolean> {
    if (this.mode === 'api') return false;
    if (this.mode === 'tag') return true;
    if (ociSubject === undefined) return true;
    if (this.#api === undefined) this.#api = (await referrersFromApi(r, subject)) !== undefined;
    return !this.#api;
  }
}
