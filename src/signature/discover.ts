import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { hasReferrers } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { isScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { ImageManifest } from '../oci/manifest.js';
import { Annotation, isManifestType, MediaType } from '../oci/media-types.js';
import { readNode } from '../pack/read.js';
import { bundleLayerOf } from './bundle-format.js';
import { legacyLayers, type LegacyLayer } from './legacy-format.js';

/** A bundle referrer, its bundle bytes read and verified against the layer digest. */
export interface BundleCandidate {
  manifest: Descriptor;
  bytes: Buffer;
  /** The referrer's `dev.sigstore.bundle.predicateType` annotation, when it has one. */
  predicateType: string | undefined;
}

/** A `.sig` manifest (tag) or cosign's experimental legacy referrer, with its simple-signing layers. */
export interface LegacyCandidate {
  manifest: Descriptor;
  /** The tag it was found under, or `referrer`. */
  foundAs: string;
  layers: LegacyLayer[];
}

interface Candidates {
  bundles: BundleCandidate[];
  legacy: LegacyCandidate[];
}

/** Sigstore bundles are a few KiB; simple-signing payloads far less. */
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

export async function readBlob(
  target: ReadOnlyTarget,
  d: Descriptor,
  limit: number,
  o: IoOptions = {},
): Promise<Buffer> {
  return readAllBounded(verified(await target.fetch(d, o), d, target.name), limit, `${d.digest} in ${target.name}`);
}

async function manifestOf(target: ReadOnlyTarget, d: Descriptor, o: IoOptions): Promise<ImageManifest | undefined> {
  if (!isManifestType(d.mediaType)) return undefined;
  const { node } = await readNode(target, d, o);
  return node.kind === 'manifest' ? node.manifest : undefined;
}

/**
 * Every signature stored for `subject` on `target`: referrers (each one opened and judged by its layers,
 * never by artifactType alone) and the legacy `.sig` manifests under `legacyRefs` (with `legacyMediaType` the DSSE
 * envelope: the `.att` manifests and their attestation layers).
 */
export async function findSignatures(
  target: ReadOnlyTarget,
  subject: Descriptor,
  legacyRefs: readonly string[],
  o: IoOptions = {},
  legacyMediaType: string = MediaType.cosignSimpleSigning,
): Promise<Candidates> {
  const out: Candidates = { bundles: [], legacy: [] };
  if (hasReferrers(target)) {
    for (const r of await target.referrers(subject, o)) {
      const m = await manifestOf(target, r, o);
      if (!m || (m.subject !== undefined && m.subject.digest !== subject.digest)) continue;
      const layer = bundleLayerOf(m);
      if (layer) {
        out.bundles.push({
          manifest: r,
          bytes: await readBlob(target, layer, MAX_BUNDLE_BYTES, o),
          predicateType: m.annotations?.[Annotation.bundlePredicateType],
        });
        continue;
      }
      const layers = legacyLayers(m, `${target.name}: referrer ${r.digest}`, legacyMediaType);
      if (layers.length) out.legacy.push({ manifest: r, foundAs: 'referrer', layers });
    }
  }
  for (const ref of legacyRefs) {
    let d: Descriptor;
    try {
      d = await target.resolve(ref, o);
    } catch (e) {
      if (isScrydonError(e, 'not_found')) continue;
      throw e;
    }
    const m = await manifestOf(target, d, o);
    const layers = m ? legacyLayers(m, `${target.name}: ${ref}`, legacyMediaType) : [];
    if (layers.length) out.legacy.push({ manifest: d, foundAs: ref, layers });
  }
  return out;
}
