import { parseReference } from '../oci/reference.js';

/**
 * How store tags are served as repositories and tags (catalog-spec/serve.md documents it):
 * - `ghcr.io/acme/fraud:1.2.0` is repository `ghcr.io/acme/fraud`, tag `1.2.0`;
 * - `acme.fraud:1.2.0` (built locally) is repository `acme.fraud`, tag `1.2.0`;
 * - a registry with a port, `registry.local:5000/acme/fraud:1.2.0`, is `registry.local_5000/acme/fraud`
 *   (a repository name has no `:`; no store name can contain `_` in its registry part, so this cannot clash);
 * - a registry written in capitals is lowered; an IPv6 registry (`[::1]:5000/…`) is not served.
 */
interface ServedName {
  repository: string;
  tag: string;
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The distribution spec's repository name grammar (and at most 255 characters). */
export function isRepositoryName(s: string): boolean {
  return s.length <= 255 && NAME.test(s);
}

export function isTagName(s: string): boolean {
  return TAG.test(s);
}

/**
 * Repository and tag a store name is served under; undefined when it cannot be expressed. A pinned name
 * (`REPO@sha256:…`, an artifact mirrored by digest) has a repository and no tag: it is served by digest there.
 */
export function servedName(storeRef: string): ServedName | { repository: string; tag: undefined } | undefined {
  let r;
  try {
    r = parseReference(storeRef);
  } catch {
    return undefined;
  }
  if (!r.repository || (r.tag === undefined) === (r.digest === undefined)) return undefined;
  const repository = r.registry ? `${r.registry.toLowerCase().replace(':', '_')}/${r.repository}` : r.repository;
  return isRepositoryName(repository) ? { repository, tag: r.tag } : undefined;
}
