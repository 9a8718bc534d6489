import { ScrydonError } from '../errors.js';
import { assertDescriptor, MAX_MANIFEST_BYTES, type Descriptor } from './descriptor.js';
import { isIndexType, isManifestType } from './media-types.js';

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type GraphNode = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

function parseJsonObject(bytes: Uint8Array, where: string): Record<string, unknown> {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ScrydonError(
      'size_limit_exceeded',
      `${where}: manifest is ${bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')); // a view, not a copy
  } catch (e) {
    throw new ScrydonError('manifest_invalid', `${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ScrydonError('manifest_invalid', `${where}: not a JSON object`);
  return v as Record<string, unknown>;
}

/** Parses a manifest or index whose descriptor says `mediaType`. Untrusted input: every descriptor is checked. */
export function parseGraphNode(bytes: Uint8Array, mediaType: string, where: string): GraphNode {
  const o = parseJsonObject(bytes, where);
  if (o.schemaVersion !== 2) throw new ScrydonError('manifest_invalid', `${where}: schemaVersion must be 2`);
  if (typeof o.mediaType === 'string' && o.mediaType !== mediaType) {
    throw new ScrydonError(
      'manifest_invalid',
      `${where}: mediaType "${o.mediaType}" does not match its descriptor's "${mediaType}"`,
    );
  }
  if (o.subject !== undefined) assertDescriptor(o.subject, `${where}: subject`);
  if (isManifestType(mediaType)) {
    assertDescriptor(o.config, `${where}: config`);
    if (!Array.isArray(o.layers)) throw new ScrydonError('manifest_invalid', `${where}: layers is not an array`);
    o.layers.forEach((l, i) => assertDescriptor(l, `${where}: layers[${i}]`));
    return { kind: 'manifest', manifest: o as unknown as ImageManifest };
  }
  if (isIndexType(mediaType)) {
    if (!Array.isArray(o.manifests)) throw new ScrydonError('manifest_invalid', `${where}: manifests is not an array`);
    o.manifests.forEach((m, i) => assertDescriptor(m, `${where}: manifests[${i}]`));
    return { kind: 'index', index: o as unknown as ImageIndex };
  }
  throw new ScrydonError('unsupported_media_type', `${where}: "${mediaType}" is not a manifest or index media type`);
}

/** The children of a node: config then layers, or the index's manifests. Subjects are not children. */
export function successors(node: GraphNode): Descriptor[] {
  return node.kind === 'manifest' ? [node.manifest.config, ...node.manifest.layers] : [...node.index.manifests];
}

export function subjectOf(node: GraphNode): Descriptor | undefined {
  return node.kind === 'manifest' ? node.manifest.subject : node.index.subject;
}

export function artifactTypeOf(node: GraphNode): string | undefined {
  if (node.kind === 'manifest') return node.manifest.artifactType ?? node.manifest.config.mediaType;
  return node.index.artifactType;
}

/** Canonical bytes for a manifest scrydon writes: compact JSON, keys in the order given. */
export function encodeJson(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}
