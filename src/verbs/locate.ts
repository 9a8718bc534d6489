import type { ReadOnlyTarget, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { namesRegistry, parseReference } from '../oci/reference.js';
import { formatRemote, parseRemoteReference, referenceTarget } from '../names/remote.js';
import type { Remote } from '../registry/remote.js';
import { storeLegacyRefs, storeRepositoryFor } from '../signature/locations.js';
import { LeasedStore } from '../store/leased-store.js';
import type { Store } from '../store/store-target.js';
import { legacySignatureTag, storeLegacyRef, type LegacyKind } from '../names/store.js';
import { resolveName } from '../pack/resolve-name.js';

/** Where sign and verify work: the local store, or a registry repository. */
export interface Located {
  where: 'store' | 'registry';
  /** The name worked on: in the store, what `ref` resolved to (pack/resolve-name.ts: ID:VERSION to its store name). */
  ref: string;
  target: Target & ReadOnlyTarget;
  descriptor: Descriptor;
  /** The reference as given named a tag (cosign warns: the digest it resolved to is what gets signed). */
  byTag: boolean;
  /** The repository the legacy payload names. */
  dockerReference: string;
  /** Where this target keeps `d`'s legacy `.sig` (`kind` att: `.att`) tag when writing. */
  legacyTagRef: (d: Descriptor, kind?: LegacyKind) => string;
  /** Where to look for `d`'s legacy `.sig` (`.att`) tags when verifying. */
  legacyRefs: (d: Descriptor, kind?: LegacyKind) => Promise<string[]>;
  close: () => Promise<void>;
}

/** What locate opens: the store, and (only for a remote reference) a registry client. */
interface LocateDeps {
  store: () => Promise<Store>;
  openRemote: (registries: string[]) => Promise<Remote>;
  signal?: AbortSignal;
}

/**
 * The local store (the default: works with no network), or with --remote the registry repository `ref` names.
 * Nothing but --remote reaches a registry: a name the store does not hold is `not_found`, never looked up.
 */
export async function locate(given: string, remote: boolean, deps: LocateDeps, writable: boolean): Promise<Located> {
  let ref = given;
  if (!remote) {
    const store = await deps.store();
    // signing writes into the store: under a lease, so gc keeps what it pushes until the signature is recorded
    const leased = writable ? new LeasedStore(store) : undefined;
    try {
      ref = (await resolveName(store, given, { ...(deps.signal ? { signal: deps.signal } : {}) })).ref;
      const byTag = parseReference(ref).digest === undefined;
      const descriptor = await (leased ?? store).resolve(ref);
      const repo =
        byTag || parseReference(ref).repository ? await storeRepositoryFor(store, ref, descriptor) : undefined;
      return {
        where: 'store',
        ref,
        target: leased ?? store,
        descriptor,
        byTag,
        dockerReference: repo ?? 'scrydon.local/unnamed',
        legacyTagRef: (d, kind) => {
          if (!repo)
            throw new ScrydonError(
              'usage',
              `${ref} is a bare digest; name it by a tag to write a legacy .${kind ?? 'sig'} tag`,
            );
          return storeLegacyRef(repo, d, kind);
        },
        legacyRefs: (d, kind) => storeLegacyRefs(store, d, kind),
        close: async () => leased?.release(),
      };
    } catch (e) {
      await leased?.release();
      // without --remote only the store is read: a name it does not hold is not looked for on the network
      if (e instanceof ScrydonError && e.code === 'not_found' && namesRegistry(ref)) {
        throw new ScrydonError(
          'not_found',
          `${ref} is not in the local store (without --remote, nothing is read from a registry)`,
          {
            hint: `pull it first (scrydon pull ${ref}), or work on the registry itself with --remote`,
            cause: e,
          },
        );
      }
      throw e;
    }
  }
  const byTag = parseReference(ref).digest === undefined;
  const r = parseRemoteReference(ref);
  const registry = await deps.openRemote([r.registry]);
  try {
    const target = registry.repository(r, { writable });
    const descriptor = await target.resolve(referenceTarget(r), { signal: deps.signal });
    return {
      where: 'registry',
      ref,
      target,
      descriptor,
      byTag,
      dockerReference: formatRemote({ registry: r.registry, repository: r.repository }),
      legacyTagRef: (d, kind) => legacySignatureTag(d.digest, kind),
      legacyRefs: async (d, kind) => [legacySignatureTag(d.digest, kind)],
      close: () => registry.close(),
    };
  } catch (e) {
    await registry.close();
    throw e;
  }
}
