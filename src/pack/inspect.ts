import { hasReferrers, type ReadOnlyTarget } from '../content/target.js';
import { ScrydonError, type ErrorCode } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { artifactTypeOf, subjectOf, type ImageManifest } from '../oci/manifest.js';
import { hasPackConfig, isPackManifest } from './artifact-shape.js';
import { layerEntries } from './layer-entries.js';
import type { Problem } from '../config/locate.js';
import { PACK_JSON_PATH } from './pack-tar.js';
import type { PackJson } from './pack-json.js';
import {
  checkPackJsonBytes,
  noPackJson,
  packJsonConfigBytes,
  packLayer,
  readNode,
  readPackJsonEntryBytes,
  type CheckedPackJson,
  type PackJsonSource,
  type ReadPackOptions,
} from './read.js';

interface InspectFile {
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

/** Why an artifact of the pack type is not a usable pack: the error install would report. */
export interface InspectPackError {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** pack.json's problems, one each, when pack.json was read but is invalid. */
  problems?: Problem[];
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
  /** null when the artifact is not a pack (a plain image, a signature), or is a refused one (`packError`). */
  pack: InspectPack | null;
  /** An artifact of the pack type that install would refuse (invalid pack.json, a hostile or damaged layer). */
  packError?: InspectPackError;
  referrers: InspectReferrer[];
}

/**
 * Everything worth knowing about a stored artifact without extracting it: descriptors, annotations and,
 * for a pack, pack.json and its file list (the layer is streamed through pack-tar, so a hostile pack is
 * refused here just as install would refuse it).
 */
interface InspectOptions extends ReadPackOptions {
  /** Read the layer only when pack.json is in it (a remote inspect reads the manifest and config alone). */
  skipLayer?: boolean;
}

export async function inspectArtifact(
  target: ReadOnlyTarget,
  ref: string,
  o: InspectOptions = {},
): Promise<InspectResult> {
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
    ...(node.kind === 'manifest'
      ? { config: node.manifest.config, layers: node.manifest.layers }
      : { manifests: node.index.manifests }),
    ...(subject ? { subject } : {}),
    annotations: (node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations) ?? {},
    pack: null,
    referrers: [],
  };
  if (node.kind === 'manifest' && isPackManifest(node.manifest)) {
    try {
      const pack = await inspectPack(target, node.manifest, ref, o);
      if ('packJson' in pack) out.pack = pack;
      else out.packError = { ...packErrorOf(pack.error), problems: pack.problems };
    } catch (e) {
      if (!(e instanceof ScrydonError) || !PACK_FAULTS.has(e.code)) throw e;
      out.packError = packErrorOf(e);
    }
  }
  if (hasReferrers(target)) out.referrers = (await target.referrers(descriptor, o)).map(referrerOf);
  return out;
}

/** What the pack itself may be refused for; inspect still shows the manifest (registry and I/O failures are thrown). */
const PACK_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'pack_invalid',
  'unsafe_path',
  'unsafe_entry',
  'archive_invalid',
  'archive_truncated',
  'size_limit_exceeded',
  'digest_mismatch',
  'size_mismatch',
  'blob_missing',
]);

function packErrorOf(e: ScrydonError): InspectPackError {
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

type InvalidPackJson = Exclude<CheckedPackJson, { value: PackJson }>;

/** The pack, or pack.json's problems (when the config's pack.json is invalid the layer is not read). */
async function inspectPack(
  target: ReadOnlyTarget,
  m: ImageManifest,
  what: string,
  o: InspectOptions,
): Promise<InspectPack | InvalidPackJson> {
  const layer = packLayer(m, what);
  const fromConfig = hasPackConfig(m);
  let checked: CheckedPackJson | undefined;
  if (fromConfig) {
    const { bytes, source } = await packJsonConfigBytes(target, m, what, o);
    checked = await checkPackJsonBytes(bytes, source);
    if (checked.value === undefined) return checked;
    if (o.skipLayer) return { packJson: checked.value, packJsonSource: 'config', layer };
  }
  const where = `layer ${layer.digest} of ${what}`;
  const files: InspectFile[] = [];
  let unpackedSize = 0;
  for await (const entry of layerEntries(target, layer, { what: where, limits: o.limits, signal: o.signal })) {
    if (entry.type !== 'file') continue;
    files.push({ path: entry.path, size: entry.size, mode: entry.mode });
    unpackedSize += entry.size;
    if (!fromConfig && entry.path === PACK_JSON_PATH) {
      const source = `pack.json in ${where}`;
      checked = await checkPackJsonBytes(
        await readPackJsonEntryBytes(entry, source, o.limits?.maxPackJsonBytes),
        source,
      );
    }
  }
  if (checked === undefined) throw noPackJson(where);
  if (checked.value === undefined) return checked;
  return { packJson: checked.value, packJsonSource: fromConfig ? 'config' : 'layer', layer, files, unpackedSize };
}

function referrerOf(d: Descriptor): InspectReferrer {
  const r: InspectReferrer = { digest: d.digest, mediaType: d.mediaType, size: d.size };
  if (d.artifactType !== undefined) r.artifactType = d.artifactType;
  if (d.annotations !== undefined) r.annotations = d.annotations;
  return r;
}
