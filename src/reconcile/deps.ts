import semver from 'semver';

/**
 * Dependency order (pure): pack.json's `dependencies` (id → semver range) resolved client-side against the
 * packs of this run and the packs already installed. Packs install dependencies first; a cycle, or a range
 * nothing satisfies, is a clear error naming the packs and ranges.
 */
export interface DepNode {
  key: string;
  id: string;
  version: string;
  dependencies: Readonly<Record<string, string>>;
}

export interface Available {
  id: string;
  version: string;
}

export interface DepOrder {
  /** Keys in install order (dependencies before dependents). */
  order: string[];
  /** Keys that cannot install, with why. */
  failed: Map<string, string>;
  /** For each key, the keys of this run it depends on (a dependency that fails fails its dependents). */
  needs: Map<string, string[]>;
}

/** `version` is in `range` (prereleases included); an invalid range holds nothing. */
export function satisfies(version: string, range: string): boolean {
  return semver.validRange(range) !== null && semver.satisfies(version, range, { includePrerelease: true });
}

export function orderByDependencies(nodes: readonly DepNode[], available: readonly Available[]): DepOrder {
  const failed = new Map<string, string>();
  const needs = new Map<string, string[]>();
  for (const n of nodes) {
    const edges: string[] = [];
    for (const [id, range] of Object.entries(n.dependencies)) {
      if (semver.validRange(range) === null) {
        failed.set(n.key, `${n.id} ${n.version}: dependency ${id} has an invalid semver range "${range}"`);
        break;
      }
      const inRun = nodes.filter((m) => m.id === id && satisfies(m.version, range));
      if (inRun.length) {
        edges.push(...inRun.map((m) => m.key));
        continue;
      }
      if (available.some((a) => a.id === id && satisfies(a.version, range))) continue;
      const seen = [...nodes.filter((m) => m.id === id), ...available.filter((a) => a.id === id)].map((a) => a.version);
      failed.set(n.key, `${n.id} ${n.version} needs ${id} ${range}, which nothing satisfies (${seen.length ? `available: ${[...new Set(seen)].join(', ')}` : `${id} is neither installed nor in the catalog`})`);
      break;
    }
    needs.set(n.key, edges);
  }
  // Kahn's algorithm: a queue in the given order, so independent packs keep the catalog's order
  const dependents = new Map<string, string[]>();
  const indegree = new Map<string, number>();
  for (const n of nodes) {
    const deps = [...new Set(needs.get(n.key) ?? [])];
    indegree.set(n.key, deps.length);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), n.key]);
  }
  const order: string[] = [];
  const done = new Set<string>();
  const queue = nodes.filter((n) => indegree.get(n.key) === 0).map((n) => n.key);
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i] as string;
    done.add(key);
    order.push(key);
    for (const m of dependents.get(key) ?? []) {
      const left = (indegree.get(m) ?? 1) - 1;
      indegree.set(m, left);
      if (left === 0) queue.push(m);
    }
  }
  const stuck = nodes.filter((n) => !done.has(n.key));
  if (stuck.length) {
    const cycle = describeCycle(stuck, needs);
    for (const n of stuck) if (!failed.has(n.key)) failed.set(n.key, `dependency cycle: ${cycle}`);
  }
  return { order, failed, needs };
}

/** `a 1.0.0 → b 2.0.0 → a 1.0.0`, walked from the first stuck node. */
function describeCycle(stuck: readonly DepNode[], needs: ReadonlyMap<string, string[]>): string {
  const byKey = new Map(stuck.map((n) => [n.key, n] as const));
  const first = stuck[0];
  if (!first) return '';
  const path: DepNode[] = [];
  let cur: DepNode | undefined = first;
  while (cur && !path.includes(cur)) {
    path.push(cur);
    cur = (needs.get(cur.key) ?? []).map((k) => byKey.get(k)).find((n) => n !== undefined);
  }
  const names = path.map((n) => `${n.id} ${n.version}`);
  if (cur) names.push(`${cur.id} ${cur.version}`);
  return names.join(' → ');
}
