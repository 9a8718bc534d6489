import semver from 'semver';
import { ScrydonError } from '../errors.js';
import type { InstallRecord } from '../install/state.js';
import type { SignatureStatus } from './signature-status.js';
import type { ListEntry } from '../pack/list.js';
import { groupByDigest } from '../pack/stored-artifacts.js';
import { byCodeUnits } from '../text-order.js';

/**
 * The rows of the catalog page's list (`GET /api/artifacts`, pure): one per stored artifact (manifest digest) with
 * every tag it has, the name a person pulls it as (`ID:VERSION`, as `ls` and resolve-name.ts have it), where it
 * came from and its install state; then the page's filters and one page of the result.
 */
export interface ArtifactRow extends Omit<ListEntry, 'ref'> {
  /** What resolve-name.ts resolves to this digest: `ID:VERSION` for a pack when that names it, else a store name. */
  pullAs: string;
  tags: string[];
  /** The registered source it came from, or `local` (reconcile/pack-sources.ts). */
  source: string;
  /** The install root's status when this digest is what it has installed, else `not-installed`. */
  install: string;
}

/** Install state a row can be filtered by: an install status, or `not-installed`. */
const NOT_INSTALLED = 'not-installed';

interface ArtifactQuery {
  /** Case-insensitive text looked for in id, version, tags, digest and pull name. */
  q?: string;
  id?: string;
  version?: string;
  source?: string;
  /** An install status (`active`, `pending-review`, `retired`) or `not-installed`. */
  status?: string;
  /** true: a signature is stored (verified or not); false: none is. */
  signed?: boolean;
  offset: number;
  limit: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const MAX_TEXT = 200;

/** Legacy cosign tags (`sha256-<hex>.sig`, `.att`, `.sbom`): signatures, shown with what they sign, not as rows. */
export const COSIGN_TAG = /:sha256-[a-f0-9]{64}\.(?:sig|att|sbom)$/;

function count(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || n > max)
    throw new ScrydonError('usage', `${name}=${raw.slice(0, 40)} is not an integer from 0 to ${max}`);
  return n;
}

/** The query of `GET /api/artifacts` from its URL parameters; a bad value is `usage`. */
export function parseArtifactQuery(params: URLSearchParams): ArtifactQuery {
  const out: ArtifactQuery = {
    offset: count(params, 'offset', 0, Number.MAX_SAFE_INTEGER),
    limit: count(params, 'limit', DEFAULT_PAGE, MAX_PAGE),
  };
  for (const k of ['q', 'id', 'version', 'source', 'status'] as const) {
    const v = params.get(k);
    if (v === null || v === '') continue;
    if (v.length > MAX_TEXT) throw new ScrydonError('usage', `${k} is longer than ${MAX_TEXT} characters`);
    out[k] = v;
  }
  const signed = params.get('signed');
  if (signed === 'yes' || signed === 'true') out.signed = true;
  else if (signed === 'no' || signed === 'false') out.signed = false;
  else if (signed !== null && signed !== '')
    throw new ScrydonError('usage', `signed=${signed.slice(0, 40)} is not yes or no`);
  return out;
}

/** Packs by id, newest version first (semver; other versions after, by name); then what is not a pack, by name. */
function byPackOrder(
  a: Pick<ArtifactRow, 'id' | 'version' | 'pullAs'>,
  b: Pick<ArtifactRow, 'id' | 'version' | 'pullAs'>,
): number {
  if ((a.id === null) !== (b.id === null)) return a.id === null ? 1 : -1;
  if (a.id !== b.id) return byCodeUnits(a.id ?? '', b.id ?? '');
  return byVersionDesc(a.version ?? '', b.version ?? '') || byCodeUnits(a.pullAs, b.pullAs);
}

/** Newest first: semver versions by precedence, then the rest by name (descending). */
export function byVersionDesc(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (va && vb) return semver.rcompare(va, vb);
  if (va || vb) return va ? -1 : 1;
  return byCodeUnits(b, a);
}

export function artifactRows(
  entries: readonly ListEntry[],
  installed: readonly InstallRecord[],
  sourceOf: (digest: string, tags: readonly string[]) => string,
): ArtifactRow[] {
  const installs = new Map(installed.map((r) => [r.digest, r.status as string]));
  const rows = groupByDigest(entries.filter((e) => !COSIGN_TAG.test(e.ref))).map((a): ArtifactRow => ({
    pullAs: a.ref,
    tags: a.tags,
    digest: a.digest,
    mediaType: a.mediaType,
    artifactType: a.artifactType,
    id: a.id,
    version: a.version,
    size: a.size,
    created: a.created,
    source: sourceOf(a.digest, a.tags),
    install: installs.get(a.digest) ?? NOT_INSTALLED,
  }));
  return rows.sort(byPackOrder);
}

/** The rows the query's text filters keep (everything but `signed`, which needs the store). */
export function filterRows(rows: readonly ArtifactRow[], q: ArtifactQuery): ArtifactRow[] {
  const text = q.q?.toLowerCase();
  return rows.filter(
    (r) =>
      (q.id === undefined || r.id === q.id) &&
      (q.version === undefined || r.version === q.version) &&
      (q.source === undefined || r.source === q.source) &&
      (q.status === undefined || r.install === q.status) &&
      (text === undefined ||
        [r.id ?? '', r.version ?? '', r.digest, r.pullAs, ...r.tags].some((s) => s.toLowerCase().includes(text))),
  );
}

/**
 * A signature is stored for it: verified here, stored but not verified, or refused for something other than its
 * absence. `unsigned`, `unknown` and a run's `signature_not_found` are not signed.
 */
export function isSigned(s: SignatureStatus | undefined): boolean {
  if (!s) return false;
  if (s.status === 'verified' || s.status === 'unverified') return true;
  return s.status === 'failed' && s.code !== 'signature_not_found';
}
