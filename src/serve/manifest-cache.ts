import type { Descriptor } from '../oci/descriptor.js';
import type { Store } from '../store/store-target.js';
import { BytesLru } from '../content/bytes-lru.js';
import { readManifest } from './content.js';

/** What the cache holds at most: every manifest of a 10,000-pack store (~600 bytes each) fits. Peak RSS is the bound. */
const MAX_BYTES = 8 << 20;

/**
 * Manifests read (and checked against their digest) once, then answered from memory. Only a manifest that the
 * current snapshot of index.json lists is looked up here: the store holds whatever index.json names (gc deletes
 * a blob only once no index entry names it), so the answer is the one a read of the file would give. A manifest
 * reached by digest that index.json does not list (a child of an index) is read from its file every time, so a
 * deleted one stops being served at once.
 */
export class ManifestCache {
  readonly #lru = new BytesLru(MAX_BYTES);

  /** `d` is index.json's descriptor of the manifest (its media type); undefined when its blob is missing. */
  async read(store: Store, d: Descriptor): Promise<{ descriptor: Descriptor; bytes: Buffer } | undefined> {
    const hit = this.#lru.get(d.digest);
    if (hit) return { descriptor: { mediaType: d.mediaType, digest: d.digest, size: hit.byteLength }, bytes: hit };
    const found = await readManifest(store, d.digest, d);
    if (found) this.#lru.set(d.digest, found.bytes);
    return found;
  }
}
