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
  // one pass over every tag of the store (few allocations: 10,000 tags are listed in a few ms): the rows; per
  // ID:VERSION the one digest claiming it (or MANY); the digest of each tag without a `/` (a tag spelled
  // ID:VERSION is what the resolver takes first)
  const out: StoredArtifact[] = [];
  const keys: Array<string | undefined> = [];
  const row = new Map<string, number>();
  const claims = new Map<string, string>();
  const exact = new Map<string, string>();
  for (const e of entries) {
    if (!e.ref.includes('/')) exact.set(e.ref, e.digest);
    const at = row.get(e.digest);
    if (at !== undefined) {
      (out[at] as StoredArtifact).tags.push(e.ref);
      continue;
    }
    row.set(e.digest, out.length);
    const k = e.id !== null && e.version !== null ? `${e.id}:${e.version}` : undefined;
    keys.push(k);
    out.push({
      ref: e.ref,
      digest: e.digest,
      mediaType: e.mediaType,
      artifactType: e.artifactType,
      id: e.id,
      version: e.version,
      size: e.size,
      created: e.created,
      tags: [e.ref],
    });
    if (k === undefined) continue;
    const c = claims.get(k);
    if (c === undefined) claims.set(k, e.digest);
    else if (c !== e.digest) claims.set(k, MANY);
  }
  for (let i = 0; i < out.length; i++) {
    const k = keys[i];
    if (k === undefined) continue; // not a pack: its first tag
    const a = out[i] as StoredArtifact;
    a.ref = (exact.get(k) ?? claims.get(k)) === a.digest ? k : `${repositoryOf(a.ref)}@${a.digest}`;
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
