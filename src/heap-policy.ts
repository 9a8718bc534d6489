import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

/**
 * How a command's V8 heap grows (CommandDef.heap); both flags are read each time the heap would grow, so setting
 * them before the command runs takes effect (unlike `--max-semi-space-size`, fixed when the heap is set up).
 * V8 writes to stderr only for a flag it does not know; both are in every V8 from Node 20's to the newest. A changed
 * flag can make V8 turn down the code cache of built-in modules loaded after it; the commands measured are still
 * faster overall (fewer, smaller scavenges).
 *
 * - `fixed-young`: the young generation keeps its first semi-space instead of doubling after each busy scavenge
 *   (up to 16 MiB each). A command whose live set is one parsed index then peaks about 15 MiB lower at 10,000
 *   packs, and no slower. V8 raises the factor back to 2 whenever it sets up a heap (at start, which is why a
 *   command-line `--semi-space-growth-factor=1` does nothing, and for each worker thread: keepHeapPolicyWhileStarting
 *   sets it again). The factor is read only to size the next growth, so 1 makes growing a no-op. Newer V8 raises 1
 *   to 2 when the flag is set, so there this changes nothing.
 * - `slow-old`: the old generation's limit grows by 10 % after each full collection instead of V8's 1.1–4×, so
 *   garbage promoted while many operations are in flight is collected sooner: the first reconcile of 1,000 packs
 *   peaks at about 137 MiB instead of 170, for about 2 % more CPU.
 * - `capped-young`: the young generation doubles as V8 makes it until it holds CAPPED_YOUNG_BYTES (two 4 MiB
 *   semi-spaces), then stays: `fixed-young` set once it is there (a check every few milliseconds, stopped then). A
 *   load of 10,000 packs, whose many operations in flight each keep a little alive, peaks about 25 MiB lower (V8
 *   grows it to 2 × 16 MiB), and the first reconcile of 1,000 packs about 30 MiB lower (142 → 110). The cost is
 *   about 0.13 s more of the main thread in GC for that load (0.21–0.24 s → 0.34–0.37 s in its CPU profile, 3–4 %
 *   of its time), within the noise of its total CPU; `fixed-young` from the start cost a load 0.9–1.5 s more user
 *   CPU (its 1 MiB semi-spaces promote what a busy copy still holds).
 */
export type HeapPolicy = 'fixed-young' | 'capped-young' | 'slow-old';

const FIXED_YOUNG = '--semi-space-growth-factor=1';
const FLAGS: Readonly<Record<Exclude<HeapPolicy, 'capped-young'>, string>> = {
  'fixed-young': FIXED_YOUNG,
  'slow-old': '--heap-growing-percent=10',
};

/** The young generation's size (both semi-spaces) at which `capped-young` stops its growth. */
export const CAPPED_YOUNG_BYTES = 8 << 20;

/** The flags the command's policies set, for the worker threads' start. */
let asserted: string | undefined;

export function applyHeapPolicy(policies: readonly HeapPolicy[]): void {
  asserted = policies.flatMap((p) => (p === 'capped-young' ? [] : [FLAGS[p]])).join(' ');
  setFlagsFromString(asserted);
  if (policies.includes('capped-young') && !policies.includes('fixed-young')) capYoung();
}

const youngBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/** Sets `fixed-young` once the young generation has grown to CAPPED_YOUNG_BYTES (checked between tasks). */
function capYoung(): void {
  const timer = setInterval(() => {
    if (youngBytes() < CAPPED_YOUNG_BYTES) return;
    clearInterval(timer);
    asserted = [asserted, FIXED_YOUNG].filter(Boolean).join(' ');
    setFlagsFromString(asserted);
  }, 5).unref();
}

function reassert(): void {
  if (asserted !== undefined) setFlagsFromString(asserted);
}

/**
 * Keeps the command's policy while `workers` start: setting up each one's heap undoes `fixed-young`, at a moment
 * the creator cannot see ('online' arrives only after the worker's own start-up, by when the main thread's young
 * generation has grown), so the flag is set again every few milliseconds until every worker is online.
 */
export function keepHeapPolicyWhileStarting(workers: readonly Worker[]): void {
  if (asserted === undefined || workers.length === 0) return;
  const timer = setInterval(reassert, 5).unref();
  setTimeout(() => clearInterval(timer), 2000).unref(); // a worker that never comes online
  let starting = workers.length;
  for (const w of workers)
    w.once('online', () => {
      reassert();
      if (--starting === 0) clearInterval(timer);
    });
}
