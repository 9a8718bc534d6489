import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseReference, repositoryName } from '../oci/reference.js';
import type { Store } from '../store/store-target.js';
import { legacySignatureTag, type LegacyKind } from '../names/store.js';
import { MediaType } from '../oci/media-types.js';

/**
 * Where legacy `.sig` signatures live. In a registry: the tag `sha256-<hex>.sig` of the signed repository.
 * In the store: `<repository>:sha256-<hex>.sig`, the repository being the store name of the signed artifact.
 */

/**
 * Every store tag holding legacy signatures of `d` (`kind` att: attestations), in any repository (the signature
 * is over the digest alone).
 */
export async function storeLegacyRefs(store: Store, d: Descriptor, kind: LegacyKind = 'sig'): Promise<string[]> {
  return store.refsWithTag(legacySignatureTag(d.digest, kind));
}

/** The store repository a reference names; for a bare digest, the repository of a tag pointing at it. */
export async function storeRepositoryFor(store: Store, ref: string, d: Descriptor): Promise<string> {
  const r = parseReference(ref);
  if (r.repository) return repositoryName(r);
  const tagged = (await store.tagged()).find((t) => t.descriptor.digest === d.digest);
  if (!tagged) {
    throw new ScrydonError(
      'usage',
      `${ref} is not tagged in the store, so a legacy .sig tag has no repository to live in`,
      {
        hint: 'sign it by a tagged name (NAME:TAG or NAME@sha256:…)',
      },
    );
  }
  return repositoryName(parseReference(tagged.ref));
}

/** Whether the store holds a signature of `d`: a Sigstore bundle referrer or a legacy `.sig` tag (`ls --filter signed=`). */
export async function signedInStore(store: Store, d: Descriptor): Promise<boolean> {
  if ((await storeLegacyRefs(store, d)).length > 0) return true;
  return (await store.referrers(d)).some((r) => r.artifactType === MediaType.sigstoreBundleV03);
}
