import type { RootToCopy } from '../content/copy.js';
import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { isScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isGraphNodeType } from '../oci/media-types.js';
import type { Store } from '../store/store-target.js';
import { legacySignatureTag } from './legacy-format.js';
import { storeLegacyRefs } from './locations.js';

/** For the copy routine's `companions` hook: the legacy `.sig` manifests of a node, and the tags they get at the destination. */
export type Companions = (node: Descriptor, o: IoOptions) => Promise<RootToCopy[]>;

async function resolveOrNone(src: ReadOnlyTarget, ref: string, o: IoOptions): Promise<Descriptor | undefined> {
  try {
    return await src.resolve(ref, o);
  } catch (e) {
    if (isScrydonError(e, 'not_found')) return undefined;
    throw e;
  }
}

/** The signature manifest itself has no signatures to look for; only artifacts do. */
function signable(d: Descriptor): boolean {
  return isGraphNodeType(d.mediaType);
}

/** pull: the registry's `sha256-<hex>.sig` tag, kept in the store as `<storeRepo>:sha256-<hex>.sig`. */
export function registryToStore(src: ReadOnlyTarget, storeRepo: string): Companions {
  return async (d, o) => {
    if (!signable(d)) return [];
    const sig = await resolveOrNone(src, legacySignatureTag(d.digest), o);
    return sig ? [{ root: sig, tags: [`${storeRepo}:${legacySignatureTag(d.digest)}`] }] : [];
  };
}

/** push: the store's `<repo>:sha256-<hex>.sig` tags, as `sha256-<hex>.sig` in the target repository. */
export function storeToRegistry(store: Store): Companions {
  return async (d) => {
    if (!signable(d)) return [];
    const refs = await storeLegacyRefs(store, d);
    const out: RootToCopy[] = [];
    for (const ref of refs) out.push({ root: await store.resolve(ref), tags: [legacySignatureTag(d.digest)] });
    // one .sig tag per digest at the destination: the first store tag's manifest (they differ only if signed apart)
    return out.slice(0, 1);
  };
}

/** save: the store's `.sig` tags of every saved manifest, under their store names. */
export function storeToStore(store: Store): Companions {
  return async (d) => {
    if (!signable(d)) return [];
    const out: RootToCopy[] = [];
    for (const ref of await storeLegacyRefs(store, d)) out.push({ root: await store.resolve(ref), tags: [ref] });
    return out;
  };
}
