import { cycleText, cycleThrough, invalidRange, satisfies, shortfall, type DepPack } from '../install/dependencies.js';
import type { InstallRecord } from '../install/state.js';

/**
 * Dependency order of a run (pure): pack.json's `dependencies` resolved client-side against the packs of this
 * run and the packs installed, by the install path's rules (src/install/dependencies.ts). Packs install
 * dependencies first; a cycle, or a range nothing meets, is a clear error naming the packs and ranges.
 */
export interface DepNode extends DepPack {
  key: string;
}

interface DepOrder {
  /** Keys in install order (dependencies before dependents). */
  order: string[];
  /** Keys that cannot install, with why. */
  failed: Map<string, string>;
  /** For each key, the keys of this run it depends on (a dependency that fails fails its dependents). */
  needs: Map<string, string[]>;
}

/** Why nothing meets `n`'s dependency on `id` `range`, or undefined with the run's packs that meet it put in `edges`. */
function unmet(
  n: DepNode,
  id: string,
  range: string,
  nodes: readonly DepNode[],
  installed: ReadonlyMap<string, InstallRecord>,
  edges: string[],
): string | undefined {
  const inRun = nodes.filter((m) => m.id === id);
  const meeting = inRun.filter((m) => satisfies(m.version, range));
  if (meeting.length) {
    edges.push(...meeting.map((m) => m.key));
    return undefined;
  }
  const why = shortfall(n, id, range, installed.get(id));
  return (
    why &&
    (inRun.length ? `${why}; this run installs ${id} ${[...new Set(inRun.map((m) => m.version))].join(', ')}` : why)
  );
}

/** `installed`: every install record, retired ones too (they meet no dependency, and the message says so). */
export function orderByDependencies(nodes: readonly DepNode[], installed: readonly InstallRecord[]): DepOrder {
  const failed = new Map<string, string>();
  const needs = new Map<string, string[]>();
  const byId = new Map(installed.map((r) => [r.id, r] as const));
  for (const n of nodes) {
    const edges: string[] = [];
    const why =
      invalidRange(n) ??
      Object.entries(n.dependencies).reduce<string | undefined>(
        (w, [id, range]) => w ?? unmet(n, id, range, nodes, byId, edges),
        undefined,
      );
    if (why) failed.set(n.key, why);
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

/** The first cycle among the stuck packs (each stuck pack is on one, or depends on one): `a 1.0.0 → b 2.0.0 → a 1.0.0`. */
function describeCycle(stuck: readonly DepNode[], needs: ReadonlyMap<string, string[]>): string {
  const byKey = new Map(stuck.map((n) => [n.key, n] as const));
  const next = (n: DepNode): DepNode[] =>
    (needs.get(n.key) ?? []).map((k) => byKey.get(k)).filter((m): m is DepNode => m !== undefined);
  for (const n of stuck) {
    const path = cycleThrough(n, next);
    if (path) return cycleText(path);
  }
  return stuck.map((n) => `${n.id} ${n.version}`).join(', ');
}
