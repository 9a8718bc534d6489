import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, type GraphNode, type ImageManifest } from '../oci/manifest.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { hasPackConfig, isPackManifest } from './artifact-shape.js';
import type { Problem } from '../config/locate.js';
import { layerEntries } from './layer-entries.js';
import { DEFAULT_PACK_TAR_LIMITS, PACK_JSON_PATH, type PackTarEntry, type PackTarLimits } from './pack-tar.js';
import type { PackJson } from './pack-json.js';

/** Where a pack's pack.json was read from: scrydon's config blob, or the layer (packs pushed with `oras push`). */
export type PackJsonSource = 'config' | 'layer';

export interface PackRead {
  descriptor: Descriptor;
  manifest: ImageManifest;
  packJson: PackJson;
  packJsonSource: PackJsonSource;
  /** The one `application/vnd.scrydon.pack.v1.tar.gzip` layer. */
  layer: Descriptor;
}

export interface ReadPackOptions extends IoOptions {
  limits?: Partial<PackTarLimits> | undefined;
}

/** A reference (tag or digest) or an already resolved descriptor. */
export type PackRef = string | Descriptor;

function describe(ref: PackRef): string {
  return typeof ref === 'string' ? ref : ref.digest;
}

/** Resolves `ref` and reads its manifest (or index), bounded and verified. */
export async function readNode(
  target: ReadOnlyTarget,
  ref: PackRef,
  o: IoOptions = {},
): Promise<{ descriptor: Descriptor; node: GraphNode }> {
  const descriptor = typeof ref === 'string' ? await target.resolve(ref, o) : plainDescriptor(ref);
  const bytes = await readAllBounded(
    verified(await target.fetch(descriptor, o), descriptor, target.name),
    MAX_MANIFEST_BYTES,
    `manifest ${descriptor.digest}`,
  );
  return { descriptor, node: parseGraphNode(bytes, descriptor.mediaType, `${describe(ref)} (${descriptor.digest})`) };
}

/** The manifest of a pack, or an error naming what the artifact is instead. */
function asPackManifest(node: GraphNode, what: string): ImageManifest {
  if (node.kind !== 'manifest' || !isPackManifest(node.manifest)) {
    const kind =
      node.kind === 'index'
        ? 'an image index'
        : `an artifact of type ${node.manifest.artifactType ?? node.manifest.config.mediaType}`;
    throw new ScrydonError('unsupported_media_type', `${what} is not a pack: it is ${kind}`, {
      hint: 'packs are OCI artifacts of type application/vnd.scrydon.pack.v1.tar.gzip; build one with scrydon build',
    });
  }
  return node.manifest;
}

/** The pack's one layer; a pack manifest with none, or with two, is invalid. */
export function packLayer(m: ImageManifest, what: string): Descriptor {
  const layers = m.layers.filter((l) => l.mediaType === MediaType.packLayer);
  const layer = layers[0];
  if (layer === undefined || layers.length !== 1) {
    throw new ScrydonError(
      'pack_invalid',
      `${what}: a pack has exactly one application/vnd.scrydon.pack.v1.tar.gzip layer, found ${layers.length}`,
    );
  }
  return plainDescriptor(layer);
}

/**
 * Parses and validates pack.json bytes; `source` names them in every problem reported. The validator (Ajv and
 * the YAML locator, ~0.5 MB of code) loads on first use: `ls` of packs that carry their id and version as
 * annotations never needs it.
 */
export async function parsePackJson(bytes: Uint8Array, source: string): Promise<PackJson> {
  const { parsePackJsonText } = await import('./validate.js');
  return parsePackJsonText(Buffer.from(bytes).toString('utf8'), source);
}

/** pack.json bytes checked: the value, or every problem and the `pack_invalid` error listing them (`inspect` shows both). */
export type CheckedPackJson = { value: PackJson } | { value: undefined; problems: Problem[]; error: ScrydonError };

export async function checkPackJsonBytes(bytes: Uint8Array, source: string): Promise<CheckedPackJson> {
  const { checkPackJsonText, packInvalid } = await import('./validate.js');
  const { value, problems } = checkPackJsonText(Buffer.from(bytes).toString('utf8'));
  return value !== undefined ? { value } : { value, problems, error: packInvalid(source, problems) };
}

/** The bytes of a pack.json entry met while walking a layer (pack-tar has already bounded its size). */
export async function readPackJsonEntryBytes(
  entry: PackTarEntry,
  source: string,
  limit = DEFAULT_PACK_TAR_LIMITS.maxPackJsonBytes,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of entry.body) {
    n += c.byteLength;
    if (n > limit)
      throw new ScrydonError('size_limit_exceeded', `${source}: pack.json is over the ${limit}-byte limit`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Reads a pack.json entry met while walking a layer, validated. */
async function readPackJsonEntry(
  entry: PackTarEntry,
  source: string,
  limit = DEFAULT_PACK_TAR_LIMITS.maxPackJsonBytes,
): Promise<PackJson> {
  return parsePackJson(await readPackJsonEntryBytes(entry, source, limit), source);
}

/** Streams the layer until pack.json (at the archive root) and returns it validated. */
async function packJsonFromLayer(
  target: ReadOnlyTarget,
  layer: Descriptor,
  what: string,
  o: ReadPackOptions = {},
): Promise<PackJson> {
  const where = `layer ${layer.digest} of ${what}`;
  for await (const entry of layerEntries(target, layer, { what: where, limits: o.limits, signal: o.signal })) {
    if (entry.path === PACK_JSON_PATH && entry.type === 'file')
      return readPackJsonEntry(entry, `pack.json in ${where}`, o.limits?.maxPackJsonBytes);
  }
  throw noPackJson(where);
}

export function noPackJson(where: string): ScrydonError {
  return new ScrydonError('pack_invalid', `${where}: no pack.json at the root of the archive`, {
    hint: 'a pack directory has pack.json at its top; build it with scrydon build',
  });
}

/** The bytes of a pack's config blob (scrydon's shape: pack.json), bounded and verified; `source` names them. */
export async function packJsonConfigBytes(
  target: ReadOnlyTarget,
  m: ImageManifest,
  what: string,
  o: ReadPackOptions = {},
): Promise<{ bytes: Buffer; source: string }> {
  const limit = o.limits?.maxPackJsonBytes ?? DEFAULT_PACK_TAR_LIMITS.maxPackJsonBytes;
  if (m.config.size > limit)
    throw new ScrydonError(
      'size_limit_exceeded',
      `config ${m.config.digest} of ${what} is ${m.config.size} bytes, over the ${limit}-byte limit`,
    );
  const bytes = await readAllBounded(
    verified(await target.fetch(m.config, o), m.config, target.name),
    limit,
    `config ${m.config.digest}`,
  );
  return { bytes, source: `config ${m.config.digest} of ${what}` };
}

/** Reads pack.json from a pack's config blob (scrydon's shape). */
async function packJsonFromConfig(
  target: ReadOnlyTarget,
  m: ImageManifest,
  what: string,
  o: ReadPackOptions = {},
): Promise<PackJson> {
  const { bytes, source } = await packJsonConfigBytes(target, m, what, o);
  return parsePackJson(bytes, source);
}

/**
 * Reads a stored pack: its manifest, its layer descriptor and its validated pack.json — from the config
 * (scrydon's shape) without opening the layer, or from the layer (`oras push` with an empty config).
 */
export async function readPack(target: ReadOnlyTarget, ref: PackRef, o: ReadPackOptions = {}): Promise<PackRead> {
  const what = describe(ref);
  const { descriptor, node } = await readNode(target, ref, o);
  const manifest = asPackManifest(node, what);
  const layer = packLayer(manifest, what);
  if (hasPackConfig(manifest)) {
    return {
      descriptor,
      manifest,
      layer,
      packJson: await packJsonFromConfig(target, manifest, what, o),
      packJsonSource: 'config',
    };
  }
  return {
    descriptor,
    manifest,
    layer,
    packJson: await packJsonFromLayer(target, layer, what, o),
    packJsonSource: 'layer',
  };
}

interface PackSummary {
  id: string;
  version: string;
  /** Where the two came from: manifest annotations (cheapest), the config, or the layer. */
  from: 'annotations' | 'config' | 'layer';
}

/**
 * Id and version of a stored artifact for listings, as cheaply as possible: the manifest's annotations,
 * else the config, else the layer. `null` when the artifact is not a pack (a plain image, a signature).
 */
export async function packSummary(
  target: ReadOnlyTarget,
  d: Descriptor,
  o: ReadPackOptions = {},
): Promise<PackSummary | null> {
  const { node } = await readNode(target, d, o);
  if (node.kind !== 'manifest' || !isPackManifest(node.manifest)) return null;
  const m = node.manifest;
  const id = m.annotations?.[Annotation.packId];
  const version = m.annotations?.[Annotation.version];
  if (id && version) return { id, version, from: 'annotations' };
  const pj = hasPackConfig(m)
    ? await packJsonFromConfig(target, m, d.digest, o)
    : await packJsonFromLayer(target, packLayer(m, d.digest), d.digest, o);
  return { id: pj.package.id, version: pj.package.version, from: hasPackConfig(m) ? 'config' : 'layer' };
}
