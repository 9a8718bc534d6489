import type { RootToCopy } from '../content/copy.js';
import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { isScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isGraphNodeType, MediaType } from '../oci/media-types.js';
import { MAX_MANIFEST_BYTES } from '../oci/descriptor.js';
import { parseGraphNode } from '../oci/manifest.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import type { Store } from '../store/store-target.js';
import { storeLegacyRefs } from './locations.js';
import { legacySignatureTag, storeLegacyRef, type LegacyKind } from '../names/store.js';

/**
 * cosign's legacy `sha256-<hex>.sig` manifests, and its `sha256-<hex>.att` attestations, travel with what they sign
 * on every path (the copy routine's `companions` hook). Two kinds of place keep them:
 * - a repository (a registry repository, an `oci:` layout directory): the tag `sha256-<hex>.sig` (`.att`);
 * - the store, which holds many repositories: `<repository>:sha256-<hex>.sig` (`.att`).
 */
export type Companions = (node: Descriptor, o: IoOptions) => Promise<RootToCopy[]>;

/** The `.sig` and `.att` manifests a source keeps for a digest, with the names it keeps them under. */
type SignatureFinder = (
  d: Descriptor,
  o: IoOptions,
) => Promise<Array<{ ref: string; root: Descriptor; kind: LegacyKind }>>;

/** Where the copy writes them: one repository's tag, the store under one repository, or the store names as found (save). */
export type SignaturePlacement =
  { kind: 'repository' } | { kind: 'store'; repository: string } | { kind: 'same-names' };

async function resolveOrNone(src: ReadOnlyTarget, ref: string, o: IoOptions): Promise<Descriptor | undefined> {
  try {
    return await src.resolve(ref, o);
  } catch (e) {
    if (isScrydonError(e, 'not_found')) return undefined;
    throw e;
  }
}

/** The layer media type cosign writes under each legacy tag: simple signing (`.sig`), DSSE envelopes (`.att`). */
const LAYER_TYPE: Readonly<Record<LegacyKind, string>> = {
  sig: MediaType.cosignSimpleSigning,
  att: MediaType.dsseEnvelope,
};
const KINDS: readonly LegacyKind[] = ['sig', 'att'];

/**
 * Whether a `.sig` (`.att`) tag holds what cosign writes there: an image manifest whose layers are all
 * simple-signing payloads (DSSE envelopes). Anything else under the name (a pack someone tagged so, a hostile
 * registry's answer) is not carried.
 */
async function isLegacySignature(src: ReadOnlyTarget, d: Descriptor, kind: LegacyKind, o: IoOptions): Promise<boolean> {
  if (d.mediaType !== MediaType.ociManifest && d.mediaType !== MediaType.dockerManifest) return false;
  const node = parseGraphNode(
    await readAllBounded(verified(await src.fetch(d, o), d, src.name), MAX_MANIFEST_BYTES, `manifest ${d.digest}`),
    d.mediaType,
    `${src.name}: ${d.digest}`,
  );
  return (
    node.kind === 'manifest' &&
    node.manifest.layers.length > 0 &&
    node.manifest.layers.every((l) => l.mediaType === LAYER_TYPE[kind])
  );
}

/** A repository's `sha256-<hex>.sig` and `.att` tags (a registry repository, an OCI layout directory). */
export function inRepository(src: ReadOnlyTarget): SignatureFinder {
  return async (d, o) => {
    const found = await Promise.all(
      KINDS.map(async (kind) => {
        const ref = legacySignatureTag(d.digest, kind);
        const root = await resolveOrNone(src, ref, o);
        return root && (await isLegacySignature(src, root, kind, o)) ? [{ ref, root, kind }] : [];
      }),
    );
    return found.flat();
  };
}

/** Every store tag `<repository>:sha256-<hex>.sig` (and `.att`) of the digest. */
export function inStore(store: Store): SignatureFinder {
  return async (d, o) => {
    const refs = (
      await Promise.all(
        KINDS.map(async (kind) => (await storeLegacyRefs(store, d, kind)).map((ref) => ({ ref, kind }))),
      )
    ).flat();
    const found = await Promise.all(refs.map(async (r) => ({ ...r, root: await store.resolve(r.ref) })));
    const ok = await Promise.all(found.map((f) => isLegacySignature(store, f.root, f.kind, o)));
    return found.filter((_, i) => ok[i]);
  };
}

/** The companions hook: the `.sig` manifests `find` knows for each manifest of the walk, tagged as `to` says. */
export function legacyCompanions(find: SignatureFinder, to: SignaturePlacement): Companions {
  return async (d, o) => {
    if (!isGraphNodeType(d.mediaType)) return [];
    const found = await find(d, o);
    if (to.kind === 'same-names') return found.map((f) => ({ root: f.root, tags: [f.ref] }));
    // one .sig and one .att tag per digest at a repository-like destination: the first one found of each kind (they
    // differ only if signed apart)
    return KINDS.flatMap((kind) => {
      const first = found.find((f) => f.kind === kind);
      if (!first) return [];
      const tag =
        to.kind === 'repository' ? legacySignatureTag(d.digest, kind) : storeLegacyRef(to.repository, d, kind);
      return [{ root: first.root, tags: [tag] }];
    });
  };
}

/** pull: the registry's `sha256-<hex>.sig` tag, kept in the store as `<storeRepo>:sha256-<hex>.sig`. */
export function registryToStore(src: ReadOnlyTarget, storeRepo: string): Companions {
  return legacyCompanions(inRepository(src), { kind: 'store', repository: storeRepo });
}

/** push: the store's `<repo>:sha256-<hex>.sig` tags, as `sha256-<hex>.sig` in the target repository. */
export function storeToRegistry(store: Store): Companions {
  return legacyCompanions(inStore(store), { kind: 'repository' });
}

/** save: the store's `.sig` tags of every saved manifest, under their store names. */
export function storeToStore(store: Store): Companions {
  return legacyCompanions(inStore(store), { kind: 'same-names' });
}
