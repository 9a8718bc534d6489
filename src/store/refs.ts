import { ScrydonError } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { formatReference, parseReference } from '../oci/reference.js';

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
