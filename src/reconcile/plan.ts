import semver from 'semver';
import type { InstallRecord } from '../install/state.js';
import type { CatalogEntry } from '../sources/catalog-file.js';
import { findLocked, type ReconcileLock } from './lock-file.js';

/**
 * What a run does with each catalog entry and each pack installed from the source (pure). The reconciler
 * keys on id + version: a release is picked up only when its version is bumped. The source catalog wins: a
 * source-managed pack that was retired but is still listed is restored; one no longer listed is retired; a
 * pack installed by hand at the listed version is left alone (retired or not). `--locked` also reinstalls an
 * entry whose installed digest differs from the lock's.
 */
type EntryPlan =
  /** Mirror, verify and install. */
  | {
      kind: 'install';
      entry: CatalogEntry;
      reason: 'new' | 'upgrade' | 'restore' | 'locked' | 'adopt';
      current?: InstallRecord;
    }
  /** Mirror and verify only: another entry of the same id has a higher version (one version per id is installed). */
  | { kind: 'mirror'; entry: CatalogEntry; supersededBy: string }
  | { kind: 'unchanged'; entry: CatalogEntry; record: InstallRecord }
  /** Installed by hand at this version: not the source's to touch. */
  | { kind: 'manual'; entry: CatalogEntry; record: InstallRecord }
  /** Installed (and not retired) by another source. */
  | { kind: 'conflict'; entry: CatalogEntry; record: InstallRecord };

interface SourcePlan {
  entries: EntryPlan[];
  /** This source's packs whose id its catalog no longer lists (and not retired yet). */
  retire: InstallRecord[];
}

function highestPerId(entries: readonly CatalogEntry[]): Map<string, CatalogEntry> {
  const best = new Map<string, CatalogEntry>();
  for (const e of entries) {
    const cur = best.get(e.id);
    if (!cur || semver.gt(e.version, cur.version)) best.set(e.id, e);
  }
  return best;
}

export function planSource(
  source: string,
  entries: readonly CatalogEntry[],
  installed: readonly InstallRecord[],
  lock?: ReconcileLock,
): SourcePlan {
  const byId = new Map(installed.map((r) => [r.id, r] as const));
  const best = highestPerId(entries);
  const plans: EntryPlan[] = entries.map((entry) => {
    const top = best.get(entry.id);
    if (top && top !== entry) return { kind: 'mirror', entry, supersededBy: top.version };
    const record = byId.get(entry.id);
    if (!record) return { kind: 'install', entry, reason: 'new' };
    if (record.source !== source) {
      if (record.source === 'manual') {
        return record.version === entry.version
          ? { kind: 'manual', entry, record }
          : { kind: 'install', entry, reason: 'adopt', current: record };
      }
      return record.status === 'retired'
        ? { kind: 'install', entry, reason: 'adopt', current: record }
        : { kind: 'conflict', entry, record };
    }
    if (record.version !== entry.version) return { kind: 'install', entry, reason: 'upgrade', current: record };
    if (record.status === 'retired') return { kind: 'install', entry, reason: 'restore', current: record };
    const locked = lock ? findLocked(lock, entry.id, entry.version) : undefined;
    if (locked && locked.digest !== record.digest) return { kind: 'install', entry, reason: 'locked', current: record };
    return { kind: 'unchanged', entry, record };
  });
  const listed = new Set(entries.map((e) => e.id));
  const retire = installed.filter((r) => r.source === source && r.status !== 'retired' && !listed.has(r.id));
  return { entries: plans, retire };
}
