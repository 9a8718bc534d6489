import { createHash } from 'node:crypto';
import { ScrydonError } from '../errors.js';
import { isDigest, type Digest } from './digest.js';
import { Annotation, sharedMediaType } from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** Largest manifest or index scrydon reads (distribution's limit is 4 MiB too). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function descriptorOf(mediaType: string, bytes: Uint8Array, extra: Partial<Descriptor> = {}): Descriptor {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
  return { mediaType, digest, size: bytes.byteLength, ...extra };
}

/** Keeps only the fields of the OCI descriptor that identify content (drops annotations such as ref names). */
export function plainDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  if (d.platform !== undefined) out.platform = d.platform;
  return out;
}

/**
 * Gives `d` the one shared string of its media type and artifact type (sharedMediaType): for descriptors kept by the
 * thousand (a parsed index.json), each of which JSON.parse gave its own copies.
 */
export function shareTypes(d: Descriptor): void {
  d.mediaType = sharedMediaType(d.mediaType);
  if (d.artifactType !== undefined) d.artifactType = sharedMediaType(d.artifactType);
}

function isRecordOfStrings(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const k in v) if (Object.hasOwn(v, k) && typeof (v as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

/** Validates an untrusted descriptor; `where` names its location for the error (a function: built only then). */
export function assertDescriptor(v: unknown, where: string | (() => string)): asserts v is Descriptor {
  const bad = (why: string): never => {
    throw new ScrydonError('manifest_invalid', `${typeof where === 'string' ? where : where()}: ${why}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('descriptor is not an object');
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length === 0 || d.mediaType.length > 255)
    bad('mediaType missing or invalid');
  if (!isDigest(d.digest)) bad(`digest "${String(d.digest).slice(0, 80)}" is not sha256:<hex>`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    bad('size is not a non-negative integer');
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') bad('artifactType is not a string');
  if (d.annotations !== undefined && !isRecordOfStrings(d.annotations)) bad('annotations are not a string map');
}

/**
 * The index.json entry that keeps a referrer manifest (signature, attestation) reachable: untagged, with its
 * subject's digest in the io.scrydon.subject annotation so referrer look-ups need
 * not open every manifest. Used by the store, load's staging and the archive writer alike.
 */
export function referrerEntry(d: Descriptor, subject: Descriptor, artifactType: string | undefined): Descriptor {
  const entry: Descriptor = { ...plainDescriptor(d), annotations: { [Annotation.subject]: subject.digest } };
  if (artifactType) entry.artifactType = artifactType;
  return entry;
}
