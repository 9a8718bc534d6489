import semver from 'semver';
import { ScrydonError } from '../errors.js';
import { readPack } from '../pack/read.js';
import { listStore } from '../store/list.js';
import type { Store } from '../store/store-target.js';
import { satisfies } from './deps.js';
import { byCodeUnits } from '../text-order.js';

/**
 * The dependencies of stored packs, resolved client-side in the store (for `save` of a pack): for each
 * `dependencies` entry (id → semver range) the highest stored version that satisfies it, transitively.
 */
export interface StoreDependencies {
  /** Store tags to add, one per dependency resolved (never one of the given refs). */
  refs: string[];
  /** `acme.fraud 1.2.0 needs acme.core ^1.0.0`: ranges nothing in the store satisfies. */
  missing: string[];
}

export async function storeDependencies(store: Store, refs: readonly string[]): Promise<StoreDependencies> {
  const packs = (await listStore(store)).filter((e) => e.id !== null && e.version !== null && semver.valid(e.version) !== null);
  const out: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length) {
    const ref = queue.shift() as string;
    let pj;
    try {
      pj = (await readPack(store, ref)).packJson;
    } catch (e) {
      // not a pack (an image, a trust root, a pack-like artifact of another shape): nothing to follow
      if (e instanceof ScrydonError && e.code !== 'aborted' && e.code !== 'io_error') continue;
      throw e;
    }
    const key = `${pj.package.id}@${pj.package.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [id, range] of Object.entries(pj.dependencies ?? {})) {
      const best = packs
        .filter((p) => p.id === id && satisfies(p.version as string, range))
        .sort((a, b) => semver.rcompare(a.version as string, b.version as string) || byCodeUnits(a.ref, b.ref))[0];
      if (!best) {
        missing.push(`${pj.package.id} ${pj.package.version} needs ${id} ${range}`);
        continue;
      }
      if (!out.includes(best.ref) && !refs.includes(best.ref)) {
        out.push(best.ref);
        queue.push(best.ref);
      }
    }
  }
  return { refs: out, missing };
}
