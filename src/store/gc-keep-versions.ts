import { compare, valid } from 'semver';
import { byCodeUnits } from '../text-order.js';

/** A tag of the store and the pack it names (id and version from pack.json; null for what is not a pack). */
interface TaggedPack {
  ref: string;
  digest: string;
  id: string | null;
  version: string | null;
}

/** One version of a pack id: one manifest digest, with every store name that points at it. */
export interface PackVersion {
  id: string;
  version: string;
  digest: string;
  refs: string[];
  /** Why it stays (`newest 2`, `installed`, `locked by source site`, …); empty for a version that goes. */
  keptBecause: string[];
}

interface KeepVersionsPlan {
  /** Every version, by id, newest first. */
  versions: PackVersion[];
  /** The versions that go (no reason to stay). */
  dropped: PackVersion[];
}

/** Newest first: semver order, then (two digests claiming one version: a rebuild) by digest, so the order is stable. */
function newestFirst(a: PackVersion, b: PackVersion): number {
  const va = valid(a.version);
  const vb = valid(b.version);
  if (va && vb && va !== vb) return compare(vb, va);
  if (va !== vb) return va ? -1 : vb ? 1 : byCodeUnits(b.version, a.version);
  return byCodeUnits(a.digest, b.digest);
}

/**
 * `gc --keep-versions N` (catalog-spec/store.md): per pack id, the newest `keep` versions stay, and so does every
 * version `pins` names by digest (installed, locked, awaiting review), whatever its age; every other version loses
 * all its store names. One version is one digest: the tags `acme.fraud:1.2.0`, `acme.fraud:stable` and a mirror's
 * `REPO@sha256:…` naming one manifest are one version, kept or dropped together.
 */
export function planKeepVersions(
  tags: readonly TaggedPack[],
  keep: number,
  pins: ReadonlyMap<string, readonly string[]>,
): KeepVersionsPlan {
  const byId = new Map<string, Map<string, PackVersion>>();
  for (const t of tags) {
    if (t.id === null || t.version === null) continue;
    const versions = byId.get(t.id) ?? new Map<string, PackVersion>();
    byId.set(t.id, versions);
    const v = versions.get(t.digest) ?? { id: t.id, version: t.version, digest: t.digest, refs: [], keptBecause: [] };
    versions.set(t.digest, v);
    v.refs.push(t.ref);
  }
  const all: PackVersion[] = [];
  const dropped: PackVersion[] = [];
  for (const id of [...byId.keys()].sort(byCodeUnits)) {
    const versions = [...(byId.get(id)?.values() ?? [])].sort(newestFirst);
    versions.forEach((v, i) => {
      v.refs.sort(byCodeUnits);
      if (i < keep) v.keptBecause.push(`newest ${keep}`);
      v.keptBecause.push(...(pins.get(v.digest) ?? []));
      all.push(v);
      if (v.keptBecause.length === 0) dropped.push(v);
    });
  }
  return { versions: all, dropped };
}
