import type { ListEntry } from './list.js';

/**
 * The store's tags as artifacts: one per manifest digest with every tag it has (`ls`'s rows), and the one name
 * each is best called by under the resolution rules of resolve-name.ts.
 */

/** The entries grouped by manifest digest, in listing order (each group's tags in `ls` order). */
export function byDigest(entries: readonly ListEntry[]): Map<string, ListEntry[]> {
  const out = new Map<string, ListEntry[]>();
  for (const e of entries) {
    const g = out.get(e.digest);
    if (g) g.push(e);
    else out.set(e.digest, [e]);
  }
  return out;
}

/** One stored artifact with every name it has: what `ls` shows in one row. */
export interface StoredArtifact extends Omit<ListEntry, 'ref'> {
  /**
   * A name that resolves to it (resolve-name.ts): for a pack `ID:VERSION` when that names it (no other digest
   * claims the id and version, and no tag `ID:VERSION` names another), else `REPO@sha256:…` (REPO: its first tag's);
   * for what is not a pack, its first tag.
   */
  ref: string;
  tags: string[];
}

export function groupByDigest(entries: readonly ListEntry[]): StoredArtifact[] {
  // one pass over every tag of the store: the groups; per ID:VERSION the one digest claiming it (or MANY); and the
  // digest of each tag without a `/`, as a tag spelled ID:VERSION is what the resolver takes first
  const groups = new Map<string, ListEntry[]>();
  const claims = new Map<string, string>();
  const exact = new Map<string, string>();
  for (const e of entries) {
    const g = groups.get(e.digest);
    if (g) g.push(e);
    else groups.set(e.digest, [e]);
    if (!e.ref.includes('/')) exact.set(e.ref, e.digest); // a tag that may read as ID:VERSION, whatever it names
    if (e.id === null || e.version === null) continue;
    const k = `${e.id}:${e.version}`;
    const c = claims.get(k);
    if (c === undefined) claims.set(k, e.digest);
    else if (c !== e.digest) claims.set(k, MANY);
  }
  const out: StoredArtifact[] = [];
  for (const [digest, list] of groups) {
    const e = list[0] as ListEntry;
    const k = e.id !== null && e.version !== null ? `${e.id}:${e.version}` : undefined;
    const names = k !== undefined && (exact.get(k) ?? claims.get(k)) === digest;
    out.push({
      ref: k === undefined ? e.ref : names ? k : `${repositoryOf(e.ref)}@${digest}`,
      digest,
      mediaType: e.mediaType,
      artifactType: e.artifactType,
      id: e.id,
      version: e.version,
      size: e.size,
      created: e.created,
      tags: list.map((t) => t.ref),
    });
  }
  return out;
}

const MANY = 'many';

/** The repository part of a store name (`a/b:tag`, `a/b@sha256:…` → `a/b`). */
export function repositoryOf(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
