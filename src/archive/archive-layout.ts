import { ScrydonError } from '../errors.js';
import { assertDescriptor, type Descriptor } from '../oci/descriptor.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { Annotation, isGraphNodeType, MediaType } from '../oci/media-types.js';
import type { TarEntry, TarIndex } from './tar-index.js';

/**
 * What an archive is allowed to hold: an OCI image layout, and beside it the verification receipts save carries
 * (`receipts/<hex>.jsonl`, `receipts/<hex>.attestations.jsonl`; skopeo and other layout readers ignore the
 * directory), and nothing else. Pure checks over the tar index and over the small JSON files; shared by the reader
 * (validation) and the writer (the same shapes out).
 */

/** On an archive's index.json: the archive leaves out blobs listed in an inventory (an air-gap delta). */
export const EXCLUDED_INVENTORY_ANNOTATION = 'io.scrydon.archive.excluded-inventory';

export const OCI_LAYOUT_JSON = '{"imageLayoutVersion":"1.0.0"}';
export const BLOB_DIR = 'blobs/sha256';
export const RECEIPTS_DIR = 'receipts';
const ALLOWED_DIRECTORIES: ReadonlySet<string> = new Set(['blobs', BLOB_DIR, RECEIPTS_DIR]);
const RECEIPT_ENTRY = /^receipts\/([0-9a-f]{64})(\.attestations)?\.jsonl$/;
/** Largest index.json an archive may carry (a store's own index.json is capped at 64 MiB; archives list few roots). */
export const MAX_ARCHIVE_INDEX_BYTES = 16 * 1024 * 1024;

/** A receipts file beside the layout: whose receipts (a digest), signatures' or attestations'. */
export interface ReceiptEntry {
  digest: Digest;
  kind: 'signatures' | 'attestations';
  entry: TarEntry;
}

export interface LayoutEntries {
  ociLayout: TarEntry;
  index: TarEntry;
  blobs: Map<Digest, TarEntry>;
  receipts: ReceiptEntry[];
}

export function blobEntryName(d: Digest): string {
  return `${BLOB_DIR}/${d.slice('sha256:'.length)}`;
}

export function receiptEntryName(d: string, kind: ReceiptEntry['kind']): string {
  return `${RECEIPTS_DIR}/${d.slice('sha256:'.length)}${kind === 'attestations' ? '.attestations' : ''}.jsonl`;
}

/**
 * Maps tar entries onto the layout; refuses anything outside {oci-layout, index.json, blobs/sha256/<hex>,
 * receipts/<hex>[.attestations].jsonl}.
 */
export function layoutEntries(t: TarIndex, what: string): LayoutEntries {
  for (const d of t.directories) {
    if (!ALLOWED_DIRECTORIES.has(d))
      throw invalid(what, `unexpected directory "${d}" (an OCI image layout has only blobs/sha256/)`);
  }
  const blobs = new Map<Digest, TarEntry>();
  const receipts: ReceiptEntry[] = [];
  let ociLayout: TarEntry | undefined;
  let index: TarEntry | undefined;
  for (const e of t.files.values()) {
    if (e.name === 'oci-layout') ociLayout = e;
    else if (e.name === 'index.json') index = e;
    else if (e.name.startsWith('blobs/')) {
      const rest = e.name.slice('blobs/'.length);
      const digest = rest.replace('/', ':');
      if (!rest.startsWith('sha256/'))
        throw invalid(what, `blob "${e.name}" does not use sha256 (the only algorithm scrydon accepts)`);
      if (!isDigest(digest)) throw invalid(what, `blob name "${e.name}" is not 64 lowercase hex characters`);
      blobs.set(digest, e);
    } else if (e.name.startsWith(`${RECEIPTS_DIR}/`)) {
      const m = RECEIPT_ENTRY.exec(e.name);
      if (!m?.[1])
        throw invalid(
          what,
          `receipt entry "${e.name}" is not receipts/<64 hex>.jsonl or receipts/<64 hex>.attestations.jsonl`,
        );
      receipts.push({ digest: `sha256:${m[1]}`, kind: m[2] ? 'attestations' : 'signatures', entry: e });
    } else
      throw invalid(what, `unexpected entry "${e.name}" (an OCI image layout holds oci-layout, index.json and blobs/)`);
  }
  if (!ociLayout) throw invalid(what, 'no oci-layout file: not an OCI image layout archive');
  if (!index) throw invalid(what, 'no index.json: not an OCI image layout archive');
  return { ociLayout, index, blobs, receipts };
}

export function assertOciLayout(bytes: Buffer, what: string): void {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(what, 'oci-layout is not JSON');
  }
  if ((v as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion !== '1.0.0') {
    throw invalid(what, 'oci-layout does not say imageLayoutVersion 1.0.0');
  }
}

export interface ArchiveIndex {
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

/** Parses an archive's index.json (untrusted): every descriptor checked, only manifests and indexes listed. */
export function parseArchiveIndex(bytes: Buffer, what: string): ArchiveIndex {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(what, `index.json is not JSON (${(e as Error).message})`);
  }
  const o = v as { schemaVersion?: unknown; manifests?: unknown; annotations?: unknown } | null;
  if (!o || typeof o !== 'object' || o.schemaVersion !== 2 || !Array.isArray(o.manifests)) {
    throw invalid(what, 'index.json is not an OCI image index (schemaVersion 2 with manifests)');
  }
  const manifests = o.manifests as unknown[];
  manifests.forEach((m, i) => {
    assertDescriptor(m, `${what}: index.json manifests[${i}]`);
    if (!isGraphNodeType(m.mediaType)) {
      throw new ScrydonError(
        'unsupported_media_type',
        `${what}: index.json manifests[${i}] has media type "${m.mediaType}", not a manifest or index`,
      );
    }
  });
  const ann = o.annotations;
  const annotations =
    ann && typeof ann === 'object' && !Array.isArray(ann)
      ? Object.fromEntries(Object.entries(ann).filter(([, x]) => typeof x === 'string'))
      : {};
  return { manifests: manifests as Descriptor[], annotations: annotations as Record<string, string> };
}

/** The bytes of the index.json a scrydon archive ends with. */
export function encodeArchiveIndex(manifests: readonly Descriptor[], annotations: Record<string, string>): Buffer {
  const out: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return Buffer.from(JSON.stringify(out, null, 2) + '\n');
}

export function refNameOf(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.refName];
}

export function subjectAnnotationOf(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.subject];
}

function invalid(what: string, why: string): ScrydonError {
  return new ScrydonError('archive_invalid', `${what}: ${why}`, {
    hint: 'the file is not an archive written by scrydon save or skopeo',
  });
}
