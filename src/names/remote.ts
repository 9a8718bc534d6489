import { ScrydonError } from '../errors.js';
import { formatReference, parseReference, type Reference } from '../oci/reference.js';

/** Docker Hub's names: the one users type, and the host its API actually lives on. */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** A reference on a registry: the registry as the user names it, and the repository on it. */
export interface RemoteReference {
  /** `ghcr.io`, `127.0.0.1:5000`, `docker.io` (never an alias of it). */
  registry: string;
  repository: string;
  tag?: string;
  digest?: Reference['digest'];
}

/** The name credentials and settings are looked up under: Docker Hub's aliases collapse to `docker.io`. */
export function canonicalRegistry(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}

/** The host the distribution API is served from (`docker.io` → `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return canonicalRegistry(registry) === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/**
 * Parses a remote reference as Docker does: no registry means Docker Hub, and single-name Docker Hub
 * repositories live under `library/` (`alpine` → `docker.io/library/alpine`).
 */
export function parseRemoteReference(input: string): RemoteReference {
  const r = parseReference(input);
  if (!r.repository) {
    throw new ScrydonError(
      'invalid_reference',
      `"${input}" names only a digest; a registry reference needs a repository`,
      {
        hint: 'give REGISTRY/REPOSITORY[:TAG|@DIGEST], e.g. ghcr.io/acme/fraud:1.2.0',
      },
    );
  }
  const registry = canonicalRegistry(r.registry ?? DOCKER_HUB);
  let repository = r.repository;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const out: RemoteReference = { registry, repository };
  if (r.tag !== undefined) out.tag = r.tag;
  if (r.digest !== undefined) out.digest = r.digest;
  return out;
}

/** `registry/repository[:tag][@digest]`, the name a pulled artifact keeps in the store. */
export function formatRemote(r: RemoteReference): string {
  return formatReference({
    registry: r.registry,
    repository: r.repository,
    ...(r.tag ? { tag: r.tag } : {}),
    ...(r.digest ? { digest: r.digest } : {}),
  });
}

/** The tag or digest a reference points at (`latest` when it names neither, as Docker does). */
export function referenceTarget(r: RemoteReference): string {
  return r.digest ?? r.tag ?? 'latest';
}

/** The repository on `target`'s registry that a store tag was pulled from, when it can serve mounts. */
export function mountSource(storeRef: string, target: RemoteReference): string | undefined {
  let r;
  try {
    r = parseReference(storeRef);
  } catch {
    return undefined;
  }
  if (r.registry === undefined || canonicalRegistry(r.registry) !== target.registry) return undefined;
  const from = parseRemoteReference(storeRef).repository;
  return from === target.repository ? undefined : from;
}

/** Where `push --all PREFIX` puts a store name: without its registry, under PREFIX (a pinned `REPO@sha256:…` by digest, untagged). */
export function pushAllTarget(prefix: string, storeTag: string): string {
  const r = parseReference(storeTag);
  const base = prefix.replace(/\/+$/, '');
  return r.digest && !r.tag ? `${base}/${r.repository}@${r.digest}` : `${base}/${r.repository}:${r.tag ?? 'latest'}`;
}
