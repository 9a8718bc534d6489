import { artifactManifest } from '../oci/artifact.js';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { EMPTY_JSON, MediaType } from '../oci/media-types.js';
import type { Store } from '../store/store-target.js';
import { readBlob } from './discover.js';
import { TRUSTED_ROOT_FILE } from './trust-store.js';

/**
 * The trusted root travels to an air-gapped machine inside a `scrydon save` archive as a small OCI artifact,
 * tagged `scrydon.trust:<first 12 hex>` in the archive only (the saving store gains nothing). It is never
 * trusted for arriving: the operator imports it by the digest they know (`scrydon trust import --digest sha256:…`,
 * the digest `trust show` printed on the connected side), so an archive cannot substitute its own root.
 */
const TRUST_REPOSITORY = 'scrydon.trust';

/** The trusted root as an artifact held in memory: its tag, root manifest and every blob by digest. */
interface TrustArtifact {
  ref: string;
  /** The trusted root's own digest (what `trust import --digest` takes). */
  digest: string;
  manifest: Descriptor;
  manifestBytes: Buffer;
  /** The config and layer with their bytes (what a registry push sends before the manifest). */
  parts: ReadonlyArray<readonly [Descriptor, Buffer]>;
  blobs: ReadonlyMap<string, Buffer>;
}

/** The imported trusted root as an artifact to carry in an archive; undefined when none was imported. */
export async function trustRootArtifact(trustDir: string): Promise<TrustArtifact | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(trustDir, TRUSTED_ROOT_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const layer = descriptorOf(MediaType.sigstoreTrustedRoot, bytes);
  const { manifestBytes, config } = artifactManifest(MediaType.sigstoreTrustedRoot, [layer]);
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes);
  const blobs = new Map([
    [config.digest, EMPTY_JSON],
    [layer.digest, bytes],
    [manifest.digest, manifestBytes],
  ]);
  return {
    ref: `${TRUST_REPOSITORY}:${layer.digest.slice(7, 19)}`,
    digest: layer.digest,
    manifest,
    manifestBytes,
    parts: [
      [config, EMPTY_JSON],
      [layer, bytes],
    ],
    blobs,
  };
}

/** The bytes of a trusted root held in the store under `digest` (verified against it as it is read). */
export async function trustRootFromStore(store: Store, digest: string): Promise<Buffer> {
  if (!isDigest(digest)) throw new ScrydonError('usage', `--digest "${digest}" is not sha256:<hex>`);
  const path = store.paths.blob(digest);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ScrydonError('not_found', `no trusted root with digest ${digest} is in the store ${store.name}`, {
      hint: 'load the archive saved with scrydon save --trust first',
    });
  }
  const bytes = await readBlob(store, { mediaType: MediaType.sigstoreTrustedRoot, digest, size }, 4 * 1024 * 1024);
  if (createHash('sha256').update(bytes).digest('hex') !== digest.slice(7))
    throw new ScrydonError('digest_mismatch', `${digest} in the store does not hash to its name`);
  return bytes;
}
