import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { isGraphNodeType, MediaType } from '../oci/media-types.js';
import { blobFileSize, openSizedBlobFile } from '../store/layout.js';
import type { Store } from '../store/store-target.js';
import { OciHttpError } from './oci-error.js';

/**
 * Reading the store's blob files for the server. A blob file appears by rename only once complete and
 * verified and is never rewritten, so an open handle reads whole, untorn content with no lock held; a
 * concurrent gc that unlinks it leaves the open inode readable until the read ends.
 */

interface OpenBlob {
  fh: FileHandle;
  size: number;
}

/** Opens a blob by digest (no symlinks, regular files only); undefined when the store does not have it. */
export async function openBlob(store: Store, digest: string): Promise<OpenBlob | undefined> {
  return isDigest(digest) ? openSizedBlobFile(store.paths.blob(digest)) : undefined;
}

/** A blob's size by digest without opening it (a HEAD), with openBlob's refusals; undefined when absent. */
export async function blobSize(store: Store, digest: string): Promise<number | undefined> {
  return isDigest(digest) ? blobFileSize(store.paths.blob(digest)) : undefined;
}

interface ManifestBytes {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** A manifest's media type from its own JSON, for one reached by digest that index.json does not list. */
function sniffMediaType(bytes: Buffer): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.schemaVersion !== 2) return undefined;
  if (typeof o.mediaType === 'string') return isGraphNodeType(o.mediaType) ? o.mediaType : undefined;
  if (Array.isArray(o.manifests)) return MediaType.ociIndex;
  return typeof o.config === 'object' && Array.isArray(o.layers) ? MediaType.ociManifest : undefined;
}

/**
 * The whole of blob `digest` when it is at most `limit` bytes, checked against the digest (a mismatch is a
 * damaged store: UNKNOWN, 500); undefined when the store has no such blob or it is larger.
 */
export async function readVerified(store: Store, digest: string, limit: number): Promise<Buffer | undefined> {
  const blob = await openBlob(store, digest);
  if (!blob) return undefined;
  let bytes: Buffer;
  try {
    if (blob.size > limit) return undefined;
    bytes = await blob.fh.readFile();
  } finally {
    await blob.fh.close();
  }
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) {
    throw new OciHttpError(
      'UNKNOWN',
      `the store's copy of ${digest} is damaged (run scrydon check on the serving machine)`,
    );
  }
  return bytes;
}

/**
 * The bytes of manifest `digest`, checked against the digest; `known` is its index.json descriptor when it
 * has one (which gives the media type). Undefined when the store has no such blob or it is not a manifest.
 */
export async function readManifest(
  store: Store,
  digest: string,
  known?: Descriptor,
): Promise<ManifestBytes | undefined> {
  const bytes = await readVerified(store, digest, MAX_MANIFEST_BYTES);
  if (!bytes) return undefined;
  const mediaType = known?.mediaType ?? sniffMediaType(bytes);
  if (mediaType === undefined || !isGraphNodeType(mediaType)) return undefined;
  return { descriptor: { mediaType, digest: digest as Descriptor['digest'], size: bytes.byteLength }, bytes };
}
