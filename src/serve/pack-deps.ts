import semver from 'semver';
import { bestStored } from '../install/check-dependencies.js';
import { satisfies } from '../install/dependencies.js';
import type { ListEntry } from '../pack/list.js';
import { groupByDigest, type StoredArtifact } from '../pack/stored-artifacts.js';
import type { StoreViews } from './store-views.js';

/**
 * A stored pack's dependencies as the page shows them (`GET /api/deps`), resolved in the store the way `save`
 * resolves them (the highest stored version in each range, src/reconcile/store-deps.ts):
 * - `dependsOn`: pack.json's `dependencies`, each with the stored pack that meets it (or null);
 * - `dependedOnBy`: stored packs with a dependency this version meets;
 * - `graph`: the pack and its transitive dependencies (nodes by digest; a range nothing meets is a `missing` node).
 */
interface PackNode {
  key: string;
  id: string;
  version: string | null;
  /** The name to open it by (resolve-name.ts); null for a missing node. */
  pullAs: string | null;
  /** For a missing node: the range nothing stored meets. */
  missing?: string;
}

interface DepLink {
  id: string;
  range: string;
  pullAs: string | null;
  version: string | null;
}

interface Dependent {
  id: string;
  version: string;
  pullAs: string;
  range: string;
}

interface PackDependencies {
  dependsOn: DepLink[];
  dependedOnBy: Dependent[];
  graph: { nodes: PackNode[]; edges: Array<{ from: string; to: string; range: string }>; truncated: boolean };
}

/** The graph stops growing past this many nodes (`truncated`); the page draws it inline. */
const MAX_NODES = 200;
const READ_PARALLEL = 8;

function packsOf(entries: readonly ListEntry[]): StoredArtifact[] {
  return groupByDigest(entries).filter((a) => a.id !== null && a.version !== null && semver.valid(a.version) !== null);
}

async function dependentsOf(views: StoreViews, packs: readonly StoredArtifact[], me: StoredArtifact) {
  const out: Dependent[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < packs.length; i = next++) {
      const p = packs[i] as StoredArtifact;
      if (p.digest === me.digest) continue;
      const deps = await views.dependencies(p.digest);
      const range = deps?.[me.id as string];
      if (range !== undefined && satisfies(me.version as string, range))
        out.push({ id: p.id as string, version: p.version as string, pullAs: p.ref, range });
    }
  };
  await Promise.all(Array.from({ length: READ_PARALLEL }, worker));
  return out.sort((a, b) => (a.pullAs < b.pullAs ? -1 : a.pullAs > b.pullAs ? 1 : 0));
}

export async function packDependencies(views: StoreViews, digest: string): Promise<PackDependencies> {
  const packs = packsOf(await views.entries());
  const byDigest = new Map(packs.map((p) => [p.digest, p]));
  const nodes = new Map<string, PackNode>();
  const edges: PackDependencies['graph']['edges'] = [];
  const dependsOn: DepLink[] = [];
  const me = byDigest.get(digest);
  const root = (await views.dependencies(digest)) ?? {};
  nodes.set(digest, { key: digest, id: me?.id ?? digest, version: me?.version ?? null, pullAs: me?.ref ?? digest });
  let truncated = false;
  const queue: Array<[string, Readonly<Record<string, string>>]> = [[digest, root]];
  for (let i = 0; i < queue.length; i++) {
    const [from, deps] = queue[i] as [string, Readonly<Record<string, string>>];
    for (const [id, range] of Object.entries(deps)) {
      const best = bestStored(packs, id, range) as StoredArtifact | undefined;
      if (from === digest) dependsOn.push({ id, range, pullAs: best?.ref ?? null, version: best?.version ?? null });
      const key = best ? best.digest : `missing:${id} ${range}`;
      edges.push({ from, to: key, range });
      if (nodes.has(key)) continue;
      if (nodes.size >= MAX_NODES) {
        truncated = true;
        edges.pop();
        continue;
      }
      if (!best) {
        nodes.set(key, { key, id, version: null, pullAs: null, missing: range });
        continue;
      }
      nodes.set(key, { key, id, version: best.version, pullAs: best.ref });
      queue.push([key, (await views.dependencies(key)) ?? {}]);
    }
  }
  return {
    dependsOn,
    dependedOnBy: me ? await dependentsOf(views, packs, me) : [],
    graph: { nodes: [...nodes.values()], edges, truncated },
  };
}
