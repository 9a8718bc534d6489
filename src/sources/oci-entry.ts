import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { formatRemote, parseRemoteReference, type RemoteReference } from '../names/remote.js';
import type { Remote } from '../registry/remote.js';
import { pull } from '../verbs/pull.js';
import type { Store } from '../store/store-target.js';
import { storeTagFor } from '../names/store.js';

/**
 * An `oci` artifact (a pack, or an OCI source's catalog) mirrored from its registry into the store. The tag is
 * resolved to a digest once (one HEAD); everything after uses that digest (pull by `REPO:TAG@DIGEST` copies by
 * digest and tags the store with the remote name), so a tag that moves mid-run cannot mix versions. A
 * `@sha256:` reference is verified against its digest by the copy. With `expect` (a lock's digest) exactly that
 * digest is pulled, whatever the tag says now.
 */
export async function mirrorFromRegistry(
  remote: Remote,
  store: Store,
  ref: string,
  expect: string | undefined,
  o: IoOptions = {},
): Promise<Descriptor> {
  const r = parseRemoteReference(ref);
  if (expect !== undefined && r.digest !== undefined && r.digest !== expect) {
    throw new ScrydonError('digest_mismatch', `${ref} names ${r.digest}, but the lock has ${expect}`);
  }
  let digest = expect ?? r.digest;
  if (digest === undefined) digest = (await remote.repository(r).resolve(r.tag ?? 'latest', o)).digest;
  if (!isDigest(digest)) throw new ScrydonError('invalid_reference', `${ref}: ${digest} is not a sha256 digest`);
  const pinned: RemoteReference = { ...r, digest };
  const result = await pull(remote, store, formatRemote(pinned), {
    signal: o.signal,
    walkLimits: o.walkLimits,
    referrers: true,
  });
  if (result.root.digest !== digest)
    throw new ScrydonError('digest_mismatch', `${ref}: the registry served ${result.root.digest}, not ${digest}`);
  return result.root;
}

/** Resolves the HEAD of `ref` (one request): what change detection of an OCI catalog compares. */
export async function headOf(remote: Remote, ref: string, o: IoOptions = {}): Promise<Descriptor> {
  const r = parseRemoteReference(ref);
  return remote.repository(r).resolve(r.digest ?? r.tag ?? 'latest', o);
}

/** An artifact mirrored earlier, found in the store without the network: by its remote name, else by digest. */
export async function resolveMirrored(store: Store, ref: string, expect: string | undefined): Promise<Descriptor> {
  const r = parseRemoteReference(ref);
  const want = expect ?? r.digest;
  if (want !== undefined) {
    try {
      return await store.resolve(want);
    } catch (e) {
      throw new ScrydonError('fetch_failed', `${ref} (${want}) is not in the store and --offline forbids fetching it`, {
        cause: e,
        hint: 'load an archive saved on a connected machine (scrydon save --all)',
      });
    }
  }
  try {
    return await store.resolve(storeTagFor(r));
  } catch (e) {
    throw new ScrydonError('fetch_failed', `${ref} is not in the store and --offline forbids fetching it`, {
      cause: e,
      hint: 'load an archive saved on a connected machine (scrydon save --all)',
    });
  }
}
