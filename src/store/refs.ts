import { ScrydonError } from '../errors.js';
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
