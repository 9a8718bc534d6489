import type { Descriptor } from '../oci/descriptor.js';
import type { ImageManifest } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';

/**
 * The two shapes a pack arrives in: scrydon's own (config = pack.json, `application/vnd.scrydon.pack.config.v1+json`)
 * and the one `oras push --artifact-type …` makes (empty config, pack.json only inside the layer).
 */
function packLayerOf(m: ImageManifest): Descriptor | undefined {
  return m.layers.find((l) => l.mediaType === MediaType.packLayer);
}

export function hasPackConfig(m: ImageManifest): boolean {
  return m.config.mediaType === MediaType.packConfig;
}

export function isPackManifest(m: ImageManifest): boolean {
  return m.artifactType === MediaType.packArtifact || hasPackConfig(m) || packLayerOf(m) !== undefined;
}
