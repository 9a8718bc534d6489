import semver from 'semver';
import type { InstallRecord } from './state.js';

/**
 * The dependency rules (pure), one set for `scrydon install` and for reconcile: pack.json's `dependencies`
 * (id → semver range) are met by an installed pack of that id, not retired, whose version is in the range
 * (prereleases included). What falls short is said as it is; a cycle is named by its packs.
 */
export interface DepPack {
  id: string;
  version: string;
  dependencies: Readonly<Record<string, string>>;
}

/** `version` is in `range` (prereleases included); an invalid range holds nothing. */
export function satisfies(version: string, range: string): boolean {
  return semver.validRange(range) !== null && semver.satisfies(version, range, { includePrerelease: true });
}

/** The first dependency of `p` whose range does not parse, described; undefined when all parse. */
export function invalidRange(p: DepPack): string | undefined {
  for (const [id, range] of Object.entries(p.dependencies)) {
    if (semver.validRange(range) === null)
      return `${p.id} ${p.version}: dependency ${id} has an invalid semver range "${range}"`;
  }
  return undefined;
}

/** The installed pack `rec` meets a dependency on `range`. */
export function meets(rec: InstallRecord, range: string): boolean {
  return rec.status !== 'retired' && satisfies(rec.version, range);
}

/**
 * Why the install state does not meet `p`'s dependency on `id` `range` (`rec`: the record of `id`, if any):
 * `acme.fraud 1.2.0 needs acme.core ^2.0.0, but acme.core 1.0.0 is installed`. Undefined when it is met.
 */
export function shortfall(
  p: Pick<DepPack, 'id' | 'version'>,
  id: string,
  range: string,
  rec: InstallRecord | undefined,
): string | undefined {
  const needs = `${p.id} ${p.version} needs ${id} ${range}, but`;
  if (!rec) return `${needs} ${id} is not installed`;
  if (meets(rec, range)) return undefined;
  if (rec.status !== 'retired') return `${needs} ${id} ${rec.version} is installed`;
  const by = rec.source === 'manual' ? 'installed by hand' : `installed from source ${rec.source}`;
  return `${needs} ${id} ${rec.version} was ${by} and is retired (a retired pack meets no dependency)`;
}

/** A path `start → … → start` along `next`, or undefined when `start` is on no cycle (depth first). */
export function cycleThrough<T>(start: T, next: (t: T) => readonly T[]): T[] | undefined {
  const path: T[] = [start];
  const dead = new Set<T>();
  const walk = (t: T): boolean => {
    for (const n of next(t)) {
      if (n === start) return true;
      if (dead.has(n) || path.includes(n)) continue;
      path.push(n);
      if (walk(n)) return true;
      path.pop();
      dead.add(n);
    }
    return false;
  };
  return walk(start) ? [...path, start] : undefined;
}

/** `a.a 1.0.0 → b.b 2.0.0 → a.a 1.0.0` */
export function cycleText(path: readonly Pick<DepPack, 'id' | 'version'>[]): string {
  return path.map((p) => `${p.id} ${p.version}`).join(' → ');
}
