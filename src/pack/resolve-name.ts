import type { IoOptions } from '../content/target.js';
import { isScrydonError, ScrydonError } from '../errors.js';
import { editDistance } from '../names/nearest.js';
import { versionToTag } from '../oci/reference.js';
import type { Store } from '../store/store-target.js';
import type { ListEntry } from './list.js';
import { byDigest, repositoryOf } from './stored-artifacts.js';

/**
 * The one way a name a person types finds a stored artifact (inspect, install, save, sign, verify, push, tag):
 * 1. a name the store holds as written: a tag (`acme.fraud:1.2.0`, `ghcr.io/acme/fraud:1.2.0`, `plain` or
 *    `plain:latest`), a pinned `REPO@sha256:…` or a digest: what `Store.resolve` answers, so every existing name
 *    keeps its meaning;
 * 2. else `ID:VERSION` or `ID@VERSION` (no `/` in ID): the stored pack whose pack.json says that id and version,
 *    whatever it is named (`scrydon.sources/git-…/acme.fraud:1.2.0`, `127.0.0.1:5057/acme/fraud@sha256:…`), from
 *    the pack listing `ls` shows (store/list-cache.ts: no manifest is read while index.json is unchanged);
 *    a bare `ID` is the highest version of that id by semver (after `ID:latest`, which step 1 tries);
 * 3. two digests for one id and version are `ambiguous_reference`, listing both; nothing is `not_found` with the
 *    nearest names the store has.
 */
interface ResolvedName {
  /** A name `Store.resolve` answers: `ref` itself, or the store name of the pack it found. */
  ref: string;
  digest: string;
  /** How: the store holds `ref` as written, or it named a pack by id and version. */
  via: 'name' | 'pack';
  /** Found by id and version: the pack's own name, `ID:VERSION` (the version as a tag: `+` becomes `_`). */
  packName?: string;
}

/** A pack id as pack.schema.json's packId has it: dotted lowercase, at least two segments (acme.fraud). */
const PACK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/;

/** `ID:VERSION`, `ID@VERSION` or a bare `ID` (version undefined); undefined for what cannot be one. */
function packQuery(ref: string): { id: string; version: string | undefined } | undefined {
  const m = /^([^:@/\s]+)(?:[:@]([^:@/\s]+))?$/.exec(ref);
  if (!m || !PACK_ID.test(m[1] as string)) return undefined;
  return { id: m[1] as string, version: m[2] };
}

export async function resolveName(store: Store, ref: string, o: IoOptions = {}): Promise<ResolvedName> {
  let missing: ScrydonError;
  try {
    return { ref, digest: (await store.resolve(ref)).digest, via: 'name' };
  } catch (e) {
    if (!isScrydonError(e, 'not_found') && !isScrydonError(e, 'invalid_reference')) throw e;
    missing = e;
  }
  const q = packQuery(ref);
  const isDigestRef = /(^|@)[a-z0-9]+:[0-9a-f]{32,}$/.test(ref);
  if (isDigestRef || (!q && isScrydonError(missing, 'invalid_reference'))) throw missing;
  // imported here: a name the store holds as written (step 1, most lookups) needs neither the listing nor semver
  const { listStore } = await import('./list.js');
  const entries = await listStore(store, o);
  if (q) {
    const ofId = entries.filter((e) => e.id === q.id && e.version !== null);
    const version = q.version ?? (await newest(ofId));
    const hits = ofId.filter((e) => e.version === version || versionToTag(e.version as string) === version);
    const digests = byDigest(hits);
    if (digests.size === 1) {
      const [digest, tags] = [...digests][0] as [string, ListEntry[]];
      const packName = `${q.id}:${versionToTag(version as string)}`;
      return { ref: (tags[0] as ListEntry).ref, digest, via: 'pack', packName };
    }
    if (digests.size > 1) throw ambiguous(ref, `${q.id} ${version ?? ''}`.trim(), digests);
  }
  throw notFoundNear(ref, entries, q?.id);
}

/** The highest semver version among `packs` (undefined when none is semver). */
async function newest(packs: readonly ListEntry[]): Promise<string | undefined> {
  const { default: semver } = await import('semver');
  let best: string | undefined;
  for (const p of packs)
    if (semver.valid(p.version) && (best === undefined || semver.gt(p.version as string, best)))
      best = p.version as string;
  return best;
}

function ambiguous(ref: string, what: string, digests: Map<string, ListEntry[]>): ScrydonError {
  const list = [...digests].map(([d, tags]) => `${d} (${tags.map((t) => t.ref).join(', ')})`);
  const first = [...digests][0] as [string, ListEntry[]];
  const repo = repositoryOf((first[1][0] as ListEntry).ref);
  return new ScrydonError(
    'ambiguous_reference',
    `${ref}: ${digests.size} different artifacts claim to be ${what}: ${list.join('; ')}`,
    { hint: `name one by its digest, as NAME@sha256:… (${repo}@${first[0]})` },
  );
}

/** At most this many names are suggested. */
const NEAR = 5;

/**
 * `not_found`, naming the stored artifacts nearest to `ref` with their tags: the other versions of its id first,
 * then ids and names within a small edit distance.
 */
function notFoundNear(ref: string, entries: readonly ListEntry[], id: string | undefined): ScrydonError {
  const scored: Array<{ score: number; label: string; digest: string }> = [];
  for (const [digest, tags] of byDigest(entries)) {
    const e = tags[0] as ListEntry;
    const label = e.id !== null && e.version !== null ? `${e.id}:${e.version}` : e.ref;
    let score = id !== undefined && e.id === id ? 0 : Infinity;
    if (score > 0 && id !== undefined && e.id !== null) score = 10 + editDistance(id, e.id);
    for (const t of tags) score = Math.min(score, 10 + editDistance(ref, t.ref));
    if (score <= 10 + Math.min(3, Math.max(1, Math.floor((id ?? ref).length / 3))))
      scored.push({ score, label: `${label} (tags: ${tags.map((t) => t.ref).join(', ')})`, digest });
  }
  scored.sort((a, b) => a.score - b.score || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const near = scored.slice(0, NEAR).map((s) => s.label);
  return new ScrydonError(
    'not_found',
    `${ref} is not in the store` + (near.length ? `; nearest: ${near.join('; ')}` : ''),
    {
      hint: near.length
        ? 'name a pack as ID:VERSION, by a tag ls shows, or as NAME@sha256:…'
        : 'list what the store holds with scrydon ls',
    },
  );
}
