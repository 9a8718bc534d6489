import type { ReadOnlyTarget } from '../content/target.js';
import { verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { readPackTar, type PackTarEntry, type PackTarOptions } from './pack-tar.js';

const STORE_DAMAGE_HINT =
  "the store's copy of this blob is damaged: run scrydon check, then pull or load the pack again";

/** A local target's (the store's) damaged bytes get the hint that fixes them. */
function hinted(target: ReadOnlyTarget, e: unknown): unknown {
  if (
    !target.readsAreLocal ||
    !(e instanceof ScrydonError) ||
    (e.code !== 'digest_mismatch' && e.code !== 'size_mismatch')
  )
    return e;
  return new ScrydonError(e.code, e.message, { hint: STORE_DAMAGE_HINT, cause: e });
}

async function* rethrown(body: AsyncIterable<Buffer>, target: ReadOnlyTarget): AsyncGenerator<Buffer, void, undefined> {
  try {
    yield* body;
  } catch (e) {
    throw hinted(target, e);
  }
}

/**
 * The entries of a pack's layer read from `target`, verified against `layer` (pack-tar's walk: its digest
 * check wins over what gzip or tar make of damaged bytes). Damage in the store carries the `scrydon check` hint.
 */
export async function* layerEntries(
  target: ReadOnlyTarget,
  layer: Descriptor,
  o: PackTarOptions,
): AsyncGenerator<PackTarEntry, void, undefined> {
  try {
    const body = verified(await target.fetch(layer, { signal: o.signal }), layer, target.name);
    for await (const entry of readPackTar(body, o))
      yield entry.type === 'file' ? { ...entry, body: rethrown(entry.body, target) } : entry;
  } catch (e) {
    throw hinted(target, e);
  }
}
