import { ScrydonError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';

/**
 * A reference `[registry/]repository[:tag][@digest]`, or a bare digest. Local store refs use the same
 * grammar as registry refs (Docker's), so `ghcr.io/acme/fraud:1.2.0` and `acme.fraud:1.2.0` are both valid.
 */
export interface Reference {
  /** Registry host[:port], when the first path component looks like one. */
  registry?: string;
  /** Repository path, without the registry. Empty for a bare digest. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A tag as the distribution spec allows it (at most 128 characters). */
export function isTag(s: string): boolean {
  return TAG.test(s);
}
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

function invalid(input: string, why: string): never {
  throw new ScrydonError('invalid_reference', `invalid reference "${input.slice(0, 200)}": ${why}`, {
    hint: 'references look like NAME[:TAG], NAME@sha256:<hex>, or REGISTRY/REPOSITORY:TAG',
  });
}

export function parseReference(input: string): Reference {
  const s = input.trim();
  if (s.length === 0) invalid(input, 'empty');
  if (s.length > 4096) invalid(input, 'too long');
  if (isDigest(s)) return { repository: '', digest: s };
  let rest = s;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) invalid(input, `"${d}" is not a sha256 digest`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) invalid(input, `tag "${tag}" is not valid (letters, digits, _ . -; at most 128)`);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    if (!HOST.test(first)) invalid(input, `registry "${first}" is not a valid host[:port]`);
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    invalid(input, 'repository components must be lowercase letters and digits separated by . _ __ or -');
  }
  const ref: Reference = { repository: parts.join('/') };
  if (registry !== undefined) ref.registry = registry;
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The repository with its registry: `ghcr.io/acme/fraud` or `acme.fraud`. */
export function repositoryName(r: Reference): string {
  return r.registry ? `${r.registry}/${r.repository}` : r.repository;
}

/** The reference as a string; tags and digests included when present. */
export function formatReference(r: Reference): string {
  if (!r.repository) return r.digest ?? '';
  let s = repositoryName(r);
  if (r.tag) s += `:${r.tag}`;
  if (r.digest) s += `@${r.digest}`;
  return s;
}

/** Semver build metadata (`+`) is not allowed in OCI tags; Helm's convention maps it to `_`. */
export function versionToTag(version: string): string {
  return version.replace(/\+/g, '_');
}

/**
 * A tag of the distribution spec's referrers tag schema (`<alg>-<hex>`, the algorithm cut to 32 characters, the hex
 * to 64): registries without the referrers API keep a subject's referrers index there, so nothing else may be written
 * under such a tag (the store refuses it, and so does a push).
 */
export function isFallbackTag(tag: string): boolean {
  return /^[a-z0-9]{1,32}-[0-9a-f]{64}$/.test(tag);
}

/** Whether `ref` parses as a reference with a registry (a name that does not parse names none). */
export function namesRegistry(ref: string): boolean {
  try {
    return parseReference(ref).registry !== undefined;
  } catch {
    return false;
  }
}
