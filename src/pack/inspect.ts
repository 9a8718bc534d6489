import { hasReferrers, type ReadOnlyTarget } from '../content/target.js';
import { verified } from '../content/verify-stream.js';
import type { Descriptor } from '../oci/descriptor.js';
import { artifactTypeOf, subjectOf, type ImageManifest } from '../oci/manifest.js';
import { hasPackConfig, isPackManifest } from './artifact-shape.js';
import { PACK_JSON_PATH, readPackTar } from './pack-tar.js';
import type { PackJson } from './pack-json.js';
import { noPackJson, packJsonFromConfig, packLayer, readNode, readPackJsonEntry, type PackJsonSource, type ReadPackOptions } from './read.js';

export interface InspectFile {
  path: string;
  size: number;
  mode: number;
}

export interface InspectPack {
  packJson: PackJson;
  packJsonSource: PackJsonSource;
  layer: Descriptor;
  /** Regular files in archive order (directories are implied by the paths); absent when the layer was not read. */
  files?: InspectFile[];
  /** Sum of the files' sizes: what an install writes; absent when the layer was not read. */
  unpackedSize?: number;
}

export interface InspectReferrer {
  digest: string;
  mediaType: string;
  artifactType?: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface InspectResult {
  reference: string;
  digest: string;
  mediaType: string;
  artifactType?: string;
  /** Bytes of the manifest itself. */
  manifestSize: number;
  /** Manifest plus the blobs it lists directly (config and layers, or an index's manifests). */
  size: number;
  config?: Descriptor;
  layers?: Descriptor[];
  /** For an image index: its manifests. */
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations: Record<string, string>;
  /** null when the artifact is not a pack (a plain image, a signature). */
  pack: InspectPack | null;
  referrers: InspectReferrer[];
}

/**
 * Everything worth knowing about a stored artifact without extracting it: descriptors, annotations and,
 * for a pack, pack.json and its file list (the layer is streamed through pack-tar, so a hostile pack is
 * refused here just as install would refuse it).
 */
export interface InspectOptions extends ReadPackOptions {
  /** Read the layer only when pack.json is in it (a remote inspect reads the manifest and config alone). */
  skipLayer?: boolean;
}

export async function inspectArtifact(target: ReadOnlyTarget, ref: string, o: InspectOptions = {}): Promise<InspectResult> {
  const { descriptor, node } = await readNode(target, ref, o);
  const artifactType = artifactTypeOf(node);
  const subject = subjectOf(node);
  const children = node.kind === 'manifest' ? [node.manifest.config, ...node.manifest.layers] : node.index.manifests;
  const out: InspectResult = {
    reference: ref,
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    ...(artifactType !== undefined ? { artifactType } : {}),
    manifestSize: descriptor.size,
    size: children.reduce((n, d) => n + d.size, descriptor.size),
    ...(node.kind === 'manifest' ? { config: node.manifest.config, layers: node.manifest.layers } : { manifests: node.index.manifests }),
    ...(subject ? { subject } : {}),
    annotations: (node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations) ?? {},
    pack: null,
    referrers: [],
  };
  if (node.kind === 'manifest' && isPackManifest(node.manifest)) out.pack = await inspectPack(target, node.manifest, ref, o);
  if (hasReferrers(target)) out.referrers = (await target.referrers(descriptor, o)).map(referrerOf);
  return out;
}

async function inspectPack(target: ReadOnlyTarget, m: ImageManifest, what: string, o: InspectOptions): Promise<InspectPack> {
  const layer = packLayer(m, what);
  const fromConfig = hasPackConfig(m);
  let packJson = fromConfig ? await packJsonFromConfig(target, m, what, o) : undefined;
  if (packJson !== undefined && o.skipLayer) return { packJson, packJsonSource: 'config', layer };
  const where = `layer ${layer.digest} of ${what}`;
  const files: InspectFile[] = [];
  let unpackedSize = 0;
  const body = verified(await target.fetch(layer, o), layer, target.name);
  for await (const entry of readPackTar(body, { what: where, limits: o.limits, signal: o.signal })) {
    if (entry.type !== 'file') continue;
    files.push({ path: entry.path, size: entry.size, mode: entry.mode });
    unpackedSize += entry.size;
    if (!fromConfig && entry.path === PACK_JSON_PATH) packJson = await readPackJsonEntry(entry, `pack.json in ${where}`, o.limits?.maxPackJsonBytes);
  }
  if (packJson === undefined) throw noPackJson(where);
  return { packJson, packJsonSource: fromConfig ? 'config' : 'layer', layer, files, unpackedSize };
}

function referrerOf(d: Descriptor): InspectReferrer {
  const r: InspectReferrer = { digest: d.digest, mediaType: d.mediaType, size: d.size };
  if (d.artifactType !== undefined) r.artifactType = d.artifactType;
  if (d.annotations !== undefined) r.annotations = d.annotations;
  return r;
}
