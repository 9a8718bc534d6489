/**
 * Signatures other tools made (fixtures/signatures/interop/), put back into a store the way cosign pushed them:
 * the signed manifest under a tag, and its `.sig` image (one simple-signing layer with the annotations) under
 * `<repository>:sha256-<hex>.sig`.
 */
import { sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { digestHex, type Digest } from '../../src/oci/digest.js';
import { encodeJson, type ImageManifest } from '../../src/oci/manifest.js';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { legacyImage, legacyLayers } from '../../src/signature/legacy-format.js';
import { simpleSigningPayload } from '../../src/signature/simple-signing.js';
import { Store } from '../../src/store/store-target.js';
import { FIXTURES } from './cli.js';
import { pae } from './sigstore-fixtures.js';
import { storeLegacyRef } from '../../src/names/store.js';

export const INTEROP = join(FIXTURES, 'signatures', 'interop');

/** One cosign signature as containers/image's `dir:` transport stores it (internal/signature/sigstore.go). */
interface CosignSignature {
  payload: Buffer;
  annotations: Record<string, string>;
}

const SIGSTORE_PREFIX = Buffer.from('\0sigstore-json\n');

export async function readContainersImageSignature(path: string): Promise<CosignSignature> {
  const raw = await readFile(path);
  if (!raw.subarray(0, SIGSTORE_PREFIX.length).equals(SIGSTORE_PREFIX))
    throw new Error(`${path}: not a sigstore-json signature`);
  const j = JSON.parse(raw.subarray(SIGSTORE_PREFIX.length).toString('utf8')) as {
    mimeType: string;
    payload: string;
    annotations: Record<string, string>;
  };
  if (j.mimeType !== MediaType.cosignSimpleSigning) throw new Error(`${path}: mimeType ${j.mimeType}`);
  return { payload: Buffer.from(j.payload, 'base64'), annotations: j.annotations };
}

async function put(store: Store, d: Descriptor, bytes: Buffer): Promise<void> {
  if (!(await store.exists(d))) await store.push(d, Readable.from([bytes]));
}

/**
 * Stores `manifestBytes` as `<repo>:<tag>` and `sig` as its `.sig` image in the store at `catalog`. The
 * manifest's blobs are not stored: verification reads the manifest and the signature only.
 */
async function storeCosignSigned(
  catalog: string,
  repo: string,
  tag: string,
  manifestBytes: Buffer,
  sig: CosignSignature,
): Promise<{ store: Store; subject: Descriptor }> {
  const store = await Store.open(catalog);
  const { mediaType } = JSON.parse(manifestBytes.toString('utf8')) as { mediaType: string };
  const subject = descriptorOf(mediaType, manifestBytes);
  await put(store, subject, manifestBytes);
  await store.tag(subject, `${repo}:${tag}`);
  const payload = descriptorOf(MediaType.cosignSimpleSigning, sig.payload);
  // read back through scrydon's own parser of `.sig` layers, as a pulled signature would be
  const layers = legacyLayers(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorOf(MediaType.ociConfig, Buffer.from('{}')),
      layers: [{ ...payload, annotations: sig.annotations }],
    },
    'fixture',
  );
  const img = legacyImage([], layers[0] as (typeof layers)[number]);
  await put(store, payload, sig.payload);
  await put(store, img.config.descriptor, img.config.bytes);
  await put(store, img.manifest.descriptor, img.manifest.bytes);
  await store.tag(img.manifest.descriptor, storeLegacyRef(repo, subject));
  return { store, subject };
}

/** A tiny manifest to sign: verification reads nothing else of it. */
const TINY_MANIFEST = encodeJson({
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  config: descriptorOf(MediaType.ociEmpty, EMPTY_JSON),
  layers: [],
});

/**
 * `TINY_MANIFEST` stored as `<repo>:1` with a legacy signature over its simple-signing payload made with `hash`,
 * as the Go signers make it (ecdsa.SignASN1 / rsa.SignPKCS1v15 over hash(payload)); `annotations` are added to the
 * layer.
 */
export async function storeKeySigned(
  catalog: string,
  repo: string,
  priv: KeyObject,
  hash: string,
  annotations: Record<string, string> = {},
): Promise<{ store: Store; subject: Descriptor }> {
  const payload = simpleSigningPayload(repo, descriptorOf(MediaType.ociManifest, TINY_MANIFEST).digest);
  return storeCosignSigned(catalog, repo, '1', TINY_MANIFEST, {
    payload,
    annotations: { 'dev.cosignproject.cosign/signature': sign(hash, payload, priv).toString('base64'), ...annotations },
  });
}

/** A containers/image fixture directory (manifest.json + signature-1) stored as `<repo>:1`. */
export async function storeContainersImageFixture(
  catalog: string,
  dir: string,
  repo: string,
): Promise<{ store: Store; subject: Descriptor }> {
  const base = join(INTEROP, 'containers-image', dir);
  return storeCosignSigned(
    catalog,
    repo,
    '1',
    await readFile(join(base, 'manifest.json')),
    await readContainersImageSignature(join(base, 'signature-1')),
  );
}

/** A blob of the store at `catalog`, read from its OCI image layout directory. */
async function layoutBlob(catalog: string, digest: string): Promise<Buffer> {
  return readFile(join(catalog, 'blobs', 'sha256', digestHex(digest as Digest)));
}

/**
 * The newest signature in the signature manifest `manifestDigest` of the store at `catalog`: the bytes it is
 * over (a simple-signing payload, or a bundle's DSSE PAE) and the raw signature, to check as cosign would.
 */
export async function newestSignature(
  catalog: string,
  manifestDigest: string,
): Promise<{ signed: Buffer; sig: Buffer }> {
  const m = JSON.parse((await layoutBlob(catalog, manifestDigest)).toString()) as ImageManifest;
  const layer = m.layers.at(-1) as Descriptor;
  if (layer.mediaType === MediaType.cosignSimpleSigning) {
    return {
      signed: await layoutBlob(catalog, layer.digest),
      sig: Buffer.from(layer.annotations?.['dev.cosignproject.cosign/signature'] ?? '', 'base64'),
    };
  }
  const b = JSON.parse((await layoutBlob(catalog, layer.digest)).toString()) as {
    dsseEnvelope: { payload: string; payloadType: string; signatures: Array<{ sig: string }> };
  };
  return {
    signed: pae(b.dsseEnvelope.payloadType, Buffer.from(b.dsseEnvelope.payload, 'base64')),
    sig: Buffer.from(b.dsseEnvelope.signatures[0]?.sig ?? '', 'base64'),
  };
}
