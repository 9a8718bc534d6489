import { ScrydonError } from '../errors.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { encodeJson, type ImageManifest } from '../oci/manifest.js';
import { Annotation, MediaType } from '../oci/media-types.js';

/**
 * One signature: a simple-signing payload blob and its annotations. In a `.att` manifest, one attestation: a
 * DSSE envelope blob (its signature inside; the annotation is ""), with the predicate type it claims.
 */
export interface LegacyLayer {
  payload: Descriptor;
  signature: string;
  predicateType?: string;
  certificate?: string;
  chain?: string;
  bundle?: string;
  rfc3161timestamp?: string;
}

/** The blobs and manifest of a `.sig` image, ready to push (config and payloads first, the manifest last). */
interface LegacyImage {
  config: { descriptor: Descriptor; bytes: Buffer };
  manifest: { descriptor: Descriptor; bytes: Buffer };
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** The config go-containerregistry writes for `empty.Image` plus one appended layer per signature. */
function configFor(layers: readonly LegacyLayer[]): Buffer {
  return encodeJson({
    architecture: '',
    created: GO_ZERO_TIME,
    history: layers.map(() => ({ created: GO_ZERO_TIME })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.payload.digest) },
    config: {},
  });
}

function layerDescriptor(l: LegacyLayer): Descriptor {
  const annotations: Record<string, string> = { [Annotation.cosignSignature]: l.signature };
  if (l.bundle !== undefined) annotations[Annotation.cosignBundle] = l.bundle;
  if (l.certificate !== undefined) {
    annotations[Annotation.cosignCertificate] = l.certificate;
    annotations[Annotation.cosignChain] = l.chain ?? '';
  }
  if (l.rfc3161timestamp !== undefined) annotations[Annotation.cosignTimestamp] = l.rfc3161timestamp;
  if (l.predicateType !== undefined) annotations[Annotation.cosignPredicateType] = l.predicateType;
  return { mediaType: l.payload.mediaType, size: l.payload.size, digest: l.payload.digest, annotations };
}

/**
 * The `.sig` image with `add` appended to the signatures already there (read-modify-write, as cosign does;
 * an identical payload + signature is not added twice).
 */
export function legacyImage(existing: readonly LegacyLayer[], add: LegacyLayer): LegacyImage {
  const dupe = existing.some((l) => l.payload.digest === add.payload.digest && l.signature === add.signature);
  const layers = dupe ? [...existing] : [...existing, add];
  const configBytes = configFor(layers);
  const config = descriptorOf(MediaType.ociConfig, configBytes);
  const manifestBytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: layers.map(layerDescriptor),
  });
  return {
    config: { descriptor: config, bytes: configBytes },
    manifest: { descriptor: descriptorOf(MediaType.ociManifest, manifestBytes), bytes: manifestBytes },
  };
}

/**
 * The simple-signing layers of a `.sig` manifest (or of cosign's experimental legacy referrer); with
 * `mediaType` the DSSE envelope, the attestation layers of a `.att` manifest.
 */
export function legacyLayers(
  m: ImageManifest,
  where: string,
  mediaType: string = MediaType.cosignSimpleSigning,
): LegacyLayer[] {
  const out: LegacyLayer[] = [];
  for (const [i, l] of m.layers.entries()) {
    if (l.mediaType !== mediaType) continue;
    const a = l.annotations ?? {};
    const signature = a[Annotation.cosignSignature];
    if (signature === undefined)
      throw new ScrydonError(
        'signature_unsupported',
        `${where}: layer ${i} has no ${Annotation.cosignSignature} annotation`,
      );
    const layer: LegacyLayer = { payload: { mediaType: l.mediaType, digest: l.digest, size: l.size }, signature };
    const cert = a[Annotation.cosignCertificate];
    if (cert) layer.certificate = cert;
    const chain = a[Annotation.cosignChain];
    if (chain) layer.chain = chain;
    const bundle = a[Annotation.cosignBundle];
    if (bundle) layer.bundle = bundle;
    const ts = a[Annotation.cosignTimestamp];
    if (ts) layer.rfc3161timestamp = ts;
    const predicateType = a[Annotation.cosignPredicateType];
    if (predicateType !== undefined) layer.predicateType = predicateType;
    out.push(layer);
  }
  return out;
}
