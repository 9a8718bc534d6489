import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { compare } from 'semver';
import { byCodeUnits } from '../text-order.js';
import type { IoOptions } from '../content/target.js';
import { listStore } from '../pack/list.js';
import type { Store } from '../store/store-target.js';

/** One pack the store holds, as a site publishes it: id, version and the manifest digest. */
export interface SitePack {
  id: string;
  version: string;
  descriptor: Descriptor;
  /** A store name it is tagged under (what it was pulled, loaded or mirrored as). */
  storeRef: string;
}

/**
 * Every pack in the store, once per id and version, sorted. Two different digests claiming one id and version
 * (two sources, or a rebuild) stop the publish: a site catalog names exactly one digest per version.
 */
export async function sitePacks(store: Store, o: IoOptions = {}): Promise<SitePack[]> {
  const byName = new Map<string, SitePack>();
  const tagged = new Map((await store.tagged()).map((t) => [t.ref, t.descriptor]));
  for (const e of await listStore(store, o)) {
    if (e.id === null || e.version === null) continue;
    const descriptor = tagged.get(e.ref);
    if (!descriptor) continue;
    const key = `${e.id}@${e.version}`;
    const seen = byName.get(key);
    if (seen && seen.descriptor.digest !== e.digest)
      throw new ScrydonError(
        'invalid_reference',
        `${e.id} ${e.version} is in the store twice with different digests: ${seen.descriptor.digest} (${seen.storeRef}) and ${e.digest} (${e.ref}); nothing was published`,
        { hint: `remove the one the site should not serve (scrydon rm ${e.ref}) and publish again` },
      );
    if (!seen) byName.set(key, { id: e.id, version: e.version, descriptor, storeRef: e.ref });
  }
  return [...byName.values()].sort((a, b) => byCodeUnits(a.id, b.id) || compare(a.version, b.version));
}
