import semver from 'semver';
import type { IoOptions } from '../content/target.js';
import { isScrydonError, ScrydonError } from '../errors.js';
import type { PackJson } from '../pack/pack-json.js';
import { readPack, type PackRef } from '../pack/read.js';
import { listStore, type ListEntry } from '../pack/list.js';
import type { Store } from '../store/store-target.js';
import { byCodeUnits } from '../text-order.js';
import { cycleText, cycleThrough, meets, satisfies, shortfall, type DepPack } from './dependencies.js';
import { findRecord, type InstallState } from './state.js';

/**
 * Install's dependency check, before anything is extracted: every dependency of the pack is met by an
 * installed pack (dependencies.ts), and installing it closes no cycle. A cycle is looked for through the
 * installed packs (their recorded dependencies) and, where a range is not met, through the store's best
 * candidate — so packs that need each other are named as a cycle, not sent round as "install the other first".
 */

/** Stored packs: tags whose pack id and (semver) version are known. */
export async function storedPacks(store: Store, o: IoOptions = {}): Promise<ListEntry[]> {
  return (await listStore(store, o)).filter(
    (e) => e.id !== null && e.version !== null && semver.valid(e.version) !== null,
  );
}

/** The stored pack of `id` with the highest version in `range` (of equal versions, the first tag). */
export function bestStored(packs: readonly ListEntry[], id: string, range: string): ListEntry | undefined {
  return packs
    .filter((p) => p.id === id && satisfies(p.version as string, range))
    .sort((a, b) => semver.rcompare(a.version as string, b.version as string) || byCodeUnits(a.ref, b.ref))[0];
}

/** A stored artifact's pack.json; undefined for what does not read as a pack (an image, a trust root, a damaged pack). */
export async function storedPackJson(store: Store, ref: PackRef, o: IoOptions = {}): Promise<PackJson | undefined> {
  try {
    return (await readPack(store, ref, o)).packJson;
  } catch (e) {
    if (isScrydonError(e) && e.code !== 'aborted' && e.code !== 'io_error') return undefined;
    throw e;
  }
}

export async function checkDependencies(
  store: Store,
  pack: DepPack,
  state: InstallState,
  o: IoOptions = {},
): Promise<void> {
  if (Object.keys(pack.dependencies).length === 0) return;
  let stored: ListEntry[] | undefined;
  // what meets each range once `pack` is installed: `pack` itself, an installed pack, else the store's best
  const queue: DepPack[] = [pack];
  const nodes = new Map<string, DepPack>([[`${pack.id}@${pack.version}`, pack]]);
  const edges = new Map<DepPack, DepPack[]>();
  const candidates = new Map<string, ListEntry | undefined>();
  const candidate = async (id: string, range: string): Promise<ListEntry | undefined> => {
    const key = `${id} ${range}`;
    if (!candidates.has(key)) {
      stored ??= await storedPacks(store, o);
      candidates.set(key, bestStored(stored, id, range));
    }
    return candidates.get(key);
  };
  const node = async (
    id: string,
    version: string,
    deps: () => Promise<Readonly<Record<string, string>>>,
  ): Promise<DepPack> => {
    const key = `${id}@${version}`;
    let n = nodes.get(key);
    if (!n) {
      n = { id, version, dependencies: await deps() };
      nodes.set(key, n);
      queue.push(n);
    }
    return n;
  };
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] as DepPack;
    const out: DepPack[] = [];
    for (const [id, range] of Object.entries(n.dependencies)) {
      if (id === pack.id) {
        if (satisfies(pack.version, range)) out.push(pack);
        continue;
      }
      const rec = findRecord(state, id);
      if (rec && meets(rec, range)) {
        out.push(await node(id, rec.version, async () => rec.dependencies ?? {}));
        continue;
      }
      const c = await candidate(id, range);
      if (c)
        out.push(
          await node(id, c.version as string, async () => (await storedPackJson(store, c.ref, o))?.dependencies ?? {}),
        );
    }
    edges.set(n, out);
  }
  const cycle = cycleThrough(pack, (n) => edges.get(n) ?? []);
  if (cycle) {
    throw new ScrydonError(
      'dependency_cycle',
      `${pack.id} ${pack.version} is on a dependency cycle: ${cycleText(cycle)}`,
      {
        hint: 'packs that need each other cannot each be installed after the other; break the cycle in pack.json, or install them with --no-deps',
      },
    );
  }
  for (const [id, range] of Object.entries(pack.dependencies)) {
    const why = shortfall(pack, id, range, findRecord(state, id));
    if (!why) continue;
    const c = await candidate(id, range);
    throw new ScrydonError('dependency_unsatisfied', why, {
      hint: `${c ? `install ${c.ref} first (it is in the store)` : `pull or build ${id} ${range}, and install it first`}, or pass --no-deps to install without checking dependencies`,
    });
  }
}
