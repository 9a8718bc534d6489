import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { encodeJson, type ImageManifest } from '../oci/manifest.js';
import { Annotation, EMPTY_JSON, MediaType } from '../oci/media-types.js';

/** The referrer manifest cosign 3 writes around a bundle (pkg/oci/remote WriteAttestationNewBundleFormat, BUNDLE_SPEC.md). */
interface BundleReferrer {
  config: { descriptor: Descriptor; bytes: Buffer };
  layer: { descriptor: Descriptor; bytes: Buffer };
  manifest: { descriptor: Descriptor; bytes: Buffer };
}

/** A descriptor with its fields in go-containerregistry's order (v1.Descriptor: mediaType, size, digest, …, artifactType). */
function goDescriptor(d: Descriptor, artifactType?: string): Record<string, unknown> {
  return artifactType === undefined
    ? { mediaType: d.mediaType, size: d.size, digest: d.digest }
    : { mediaType: d.mediaType, size: d.size, digest: d.digest, artifactType };
}

/**
 * The manifest as cosign 3 writes it (WriteReferrer: go-containerregistry's v1.Manifest marshalled by
 * encoding/json, then the top-level artifactType): Go's field order, annotations sorted, and the bundle's
 * artifactType on the config descriptor too.
 */
export function bundleReferrer(
  subject: Descriptor,
  bundle: Buffer,
  predicateType: string,
  created: string,
): BundleReferrer {
  const config = descriptorOf(MediaType.ociEmpty, EMPTY_JSON);
  const layer = descriptorOf(MediaType.sigstoreBundleV03, bundle);
  const manifestBytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: goDescriptor(config, MediaType.sigstoreBundleV03),
    layers: [goDescriptor(layer)],
    annotations: {
      [Annotation.bundleContent]: 'dsse-envelope',
      [Annotation.bundlePredicateType]: predicateType,
      [Annotation.created]: created,
    },
    subject: goDescriptor(subject),
    artifactType: MediaType.sigstoreBundleV03,
  });
  return {
    config: { descriptor: config, bytes: EMPTY_JSON },
    layer: { descriptor: layer, bytes: bundle },
    manifest: { descriptor: descriptorOf(MediaType.ociManifest, manifestBytes), bytes: manifestBytes },
  };
}

/**
 * The bundle layer of a referrer, judged by its content and not its artifactType (old fallback indexes carry a
 * wrong one): exactly one layer whose media type is a Sigstore bundle's (cosign's rule in signatures.go Bundle()).
 */
export function bundleLayerOf(m: ImageManifest): Descriptor | undefined {
  if (m.layers.length !== 1) return undefined;
  const l = m.layers[0];
  return l && l.mediaType.startsWith('application/vnd.dev.sigstore.bundle') ? l : undefined;
}
