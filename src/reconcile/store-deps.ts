import { bestStored, storedPackJson, storedPacks } from '../install/check-dependencies.js';
import type { Store } from '../store/store-target.js';

/**
 * The dependencies of stored packs, resolved client-side in the store (for `save` of a pack): for each
 * `dependencies` entry (id → semver range) the highest stored version that satisfies it, transitively.
 */
interface StoreDependencies {
  /** Store tags to add, one per dependency resolved (never one of the given refs). */
  refs: string[];
  /** `acme.fraud 1.2.0 needs acme.core ^1.0.0`: ranges nothing in the store satisfies. */
  missing: string[];
}

export async function storeDependencies(store: Store, refs: readonly string[]): Promise<StoreDependencies> {
  const packs = await storedPacks(store);
  const out: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length) {
    const ref = queue.shift() as string;
    // not a pack (an image, a trust root, a pack-like artifact of another shape): nothing to follow
    const pj = await storedPackJson(store, ref);
    if (!pj) continue;
    const key = `${pj.package.id}@${pj.package.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [id, range] of Object.entries(pj.dependencies ?? {})) {
      const best = bestStored(packs, id, range);
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
