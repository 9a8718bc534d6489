import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseReference, repositoryName } from '../oci/reference.js';
import type { IndexFile } from '../store/index-file.js';
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
  const idx = await store.index();
  let byTag = legacyRefsByIndex.get(idx);
  if (!byTag) {
    // once per index.json read, not once per manifest of a save --all: tags by their part after the last ':'
    byTag = new Map();
    for (const ref of await store.tags()) {
      const tag = ref.slice(ref.lastIndexOf(':') + 1);
      const list = byTag.get(tag);
      if (list) list.push(ref);
      else byTag.set(tag, [ref]);
    }
    legacyRefsByIndex.set(idx, byTag);
  }
  return [...(byTag.get(legacySignatureTag(d.digest, kind)) ?? [])];
}

const legacyRefsByIndex = new WeakMap<IndexFile, Map<string, string[]>>();

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
