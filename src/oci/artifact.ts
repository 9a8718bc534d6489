import { descriptorOf, plainDescriptor, type Descriptor } from './descriptor.js';
import { encodeJson, type ImageManifest } from './manifest.js';
import { Annotation, EMPTY_JSON, MediaType } from './media-types.js';

/** An OCI 1.1 artifact manifest: the empty config, `layers`, and `artifactType` (as `oras push` writes one). */
interface ArtifactManifest {
  descriptor: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
}

/** Encodes an artifact manifest over the empty config; `annotations` only when there are some; `subject` makes it a referrer. */
export function artifactManifest(
  artifactType: string,
  layers: Descriptor[],
  annotations?: Record<string, string>,
  subject?: Descriptor,
): ArtifactManifest {
  const config = descriptorOf(MediaType.ociEmpty, EMPTY_JSON);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config,
    layers,
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(subject ? { subject: plainDescriptor(subject) } : {}),
  };
  const manifestBytes = encodeJson(manifest);
  return {
    descriptor: descriptorOf(MediaType.ociManifest, manifestBytes, { artifactType }),
    manifestBytes,
    config,
  };
}

/** The title annotation of a layer (its file name). */
export function titled(title: string): { annotations: Record<string, string> } {
  return { annotations: { [Annotation.title]: title } };
}
