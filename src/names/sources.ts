import { createHash } from 'node:crypto';
import { ScrydonError } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import { versionToTag } from '../oci/reference.js';
import { formatRemote, parseRemoteReference, type RemoteReference } from './remote.js';
import { storeTagFor } from './store.js';

/**
 * The names of what sources bring: an OCI source's catalog reference, and the store names git sources' catalogs
 * and packs are kept under (`scrydon.sources/git-<hash of the URL>`).
 */
function h16(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

/** `scrydon.sources/git-<h(url)>`: the store repository of a git source's catalog and packs. */
export function gitStoreRepository(url: string): string {
  return `scrydon.sources/git-${h16(url)}`;
}

/** The store tag a source's catalog is kept under. */
export function catalogStoreTag(s: { type: 'git' | 'oci'; url: string; ref: string; catalogPath: string }): string {
  if (s.type === 'oci') return storeTagFor(parseRemoteReference(ociCatalogReference(s)));
  return `${gitStoreRepository(s.url)}:catalog-${h16(s.ref, s.catalogPath)}`;
}

/** The store tag of a git-tar pack of a git source. */
export function gitPackTag(url: string, id: string, version: string): string {
  return `${gitStoreRepository(url)}/${id}:${versionToTag(version)}`;
}

/** The OCI repository a source URL names (`oci://` allowed), without tag or digest. */
export function ociRepository(url: string): RemoteReference {
  const r = parseRemoteReference(url.replace(/^oci:\/\//i, ''));
  if (r.tag !== undefined || r.digest !== undefined) {
    throw new ScrydonError('usage', `the URL ${url} names a tag or digest`, {
      hint: 'give the repository as --url and the tag with --ref (default catalog)',
    });
  }
  return r;
}

/** `REGISTRY/REPOSITORY:REF` (or `@sha256:…`) of an OCI source's catalog. */
export function ociCatalogReference(s: { url: string; ref: string }): string {
  const repo = ociRepository(s.url);
  return formatRemote(isDigest(s.ref) ? { ...repo, digest: s.ref } : { ...repo, tag: s.ref });
}
