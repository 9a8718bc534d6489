import type { CopyStats } from '../content/copy.js';
import { StagingTarget } from '../store/staging.js';
import type { Store } from '../store/store-target.js';

/**
 * Copies a graph into the store all-or-nothing: through a StagingTarget, committed by the copy routine once
 * every blob is verified, discarded on any failure (the store is then exactly as before). `writeThread`: see
 * StagingTarget.create.
 */
export async function copyIntoStore<R extends CopyStats>(
  store: Store,
  run: (dst: StagingTarget) => Promise<R>,
  o: { writeThread?: boolean } = {},
): Promise<R> {
  const staging = await StagingTarget.create(store, o);
  try {
    return await run(staging);
  } catch (e) {
    await staging.discard();
    throw e;
  }
}
