import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { digestHex, isDigest, type Digest } from '../oci/digest.js';
import { formatReference, parseReference, repositoryName } from '../oci/reference.js';
import { formatRemote, type RemoteReference } from './remote.js';

/**
 * How names map between the four namespaces: registry references (`remote.ts`), store names (here: tags, pinned
 * `REPO@sha256:` names, legacy signature tags, the names policies match), served names (`served.ts`) and the
 * names of what sources bring (`sources.ts`). One place, so a rule is decided once.
 */

/** The ref.name a store tag is kept under: `name:tag`, `latest` when no tag is given. Digests cannot be tags. */
export function normalizeTag(ref: string): string {
  const r = parseReference(ref);
  if (r.digest) {
    throw new ScrydonError('invalid_reference', `"${ref}" names a digest; a tag is needed here`, {
      hint: 'give a reference like NAME:TAG',
    });
  }
  return formatReference({ ...r, tag: r.tag ?? 'latest' });
}

/**
 * The digest a reference pins (`sha256:…`, `NAME@sha256:…`), or undefined for a tag. A digest always means its
 * content, whatever ref.name another tool wrote; a tag is not parsed here (a ref.name need not be a reference).
 */
export function pinnedDigest(ref: string): Digest | undefined {
  return ref.includes('@') || isDigest(ref.trim()) ? parseReference(ref).digest : undefined;
}

/** `X:sha256-<hex>` naming its own digest: the name earlier versions gave a digest-only artifact. */
const OLD_PIN = /^(.+):sha256-([0-9a-f]{64})$/;

/** The pinned name `REPO@sha256:<hex>` of an old `REPO:sha256-<hex>` name of manifest `digest`; undefined for any other name. */
export function migratedPinName(name: string, digest: string): string | undefined {
  const m = OLD_PIN.exec(name);
  return m && `sha256:${m[2]}` === digest ? `${m[1]}@sha256:${m[2]}` : undefined;
}

/**
 * The ref.name the store keeps `ref` under:
 * - `ref` exactly as written when the store has that ref.name (`exists`), so every name `ls` shows is addressable,
 *   also one another tool wrote without a colon (`umoci tag … plain`): `plain` names the entry `plain` when there
 *   is one and `plain:latest` when not, and `plain:latest` always names `plain:latest`;
 * - `REPO@sha256:<hex>` for a digest reference with a repository (when `digest` is given it must be that digest);
 * - else the tag's normal form (`name:tag`, `:latest` added: refs.ts).
 * An old pin name of `digest` becomes the new one, so archives and stores from earlier versions load under the new
 * names.
 */
export function storeRefName(ref: string, o: { digest?: string; exists?: (name: string) => boolean } = {}): string {
  // a name the store holds exactly is that entry, even one no reference grammar accepts (`Release-1+build`)
  if (o.exists?.(ref)) return (o.digest !== undefined ? migratedPinName(ref, o.digest) : undefined) ?? ref;
  const r = parseReference(ref);
  if (r.digest && r.repository && !r.tag) {
    if (o.digest !== undefined && r.digest !== o.digest) {
      throw new ScrydonError('digest_mismatch', `cannot name ${o.digest} "${ref}": the name pins another digest`);
    }
    return formatReference(r);
  }
  const name = normalizeTag(ref);
  return (o.digest !== undefined ? migratedPinName(name, o.digest) : undefined) ?? name;
}

/**
 * The store name of a pulled reference: its remote name (`ghcr.io/acme/fraud:1.2.0`). A reference by digest
 * alone is kept as `REPO@sha256:<hex>` (store/pin.ts): named and kept, and never mistaken for a fallback tag.
 */
export function storeTagFor(r: RemoteReference): string {
  if (r.tag) return formatRemote({ registry: r.registry, repository: r.repository, tag: r.tag });
  if (r.digest) return formatRemote({ registry: r.registry, repository: r.repository, digest: r.digest });
  return formatRemote({ registry: r.registry, repository: r.repository, tag: 'latest' });
}

/** What a legacy cosign tag holds: signatures (`.sig`) or attestations (`.att`). */
export type LegacyKind = 'sig' | 'att';

/** The store tag of `d`'s legacy signatures (or attestations) in repository `repo`. */
export function storeLegacyRef(repo: string, d: Descriptor, kind: LegacyKind = 'sig'): string {
  return `${repo}:${legacySignatureTag(d.digest, kind)}`;
}

/** cosign's tag for the legacy signatures of `digest`: `sha256-<hex>.sig` (attestations: `.att`) in the same repository. */
export function legacySignatureTag(digest: Digest, kind: LegacyKind = 'sig'): string {
  return `sha256-${digestHex(digest)}.${kind}`;
}

/** The name policies match: `registry/repository`, or the store name of a local artifact. */
export function policyName(ref: string): string {
  return repositoryName(parseReference(ref));
}
