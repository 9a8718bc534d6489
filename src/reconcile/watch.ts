import type { Source } from '../sources/source-spec.js';
import { nextRunAt } from './backoff.js';
import type { RunRecord } from './history.js';
import type { SourceState } from './source-state.js';
import { byCodeUnits } from '../text-order.js';

/**
 * `reconcile --watch`: runs each enabled source when it is due (its last run plus its interval, doubled
 * while it backs off), re-reading the sources every tick so adds, removals and disables take effect. A stop
 * request ends the loop after the run in progress. The clock and sleep are injected (tests drive them).
 */
interface WatchDeps {
  load: () => Promise<Source[]>;
  state: (source: string) => Promise<SourceState>;
  runOne: (source: Source) => Promise<RunRecord | undefined>;
  now: () => number;
  /** Resolves after `ms`, or early (resolving or rejecting) when `stop` fires. */
  sleep: (ms: number, stop: AbortSignal) => Promise<void>;
  stop: AbortSignal;
  onRun?: (r: RunRecord) => void;
  /** Longest sleep between looks at the source list (default one minute). */
  maxSleepMs?: number;
}

/** The next due time per source, soonest first (pure). */
export function dueTimes(
  sources: readonly Source[],
  states: ReadonlyMap<string, SourceState>,
  now: number,
): Array<{ source: Source; due: number }> {
  return sources
    .filter((s) => s.enabled)
    .map((source) => {
      const st = states.get(source.name);
      return { source, due: nextRunAt(st?.lastRunAt, source.intervalMs, st?.consecutiveFailures ?? 0, now) };
    })
    .sort((a, b) => a.due - b.due || byCodeUnits(a.source.name, b.source.name));
}

export async function watch(d: WatchDeps): Promise<number> {
  let runs = 0;
  const maxSleep = d.maxSleepMs ?? 60_000;
  while (!d.stop.aborted) {
    const sources = await d.load();
    const states = new Map<string, SourceState>();
    for (const s of sources) states.set(s.name, await d.state(s.name));
    let soonest = d.now() + maxSleep;
    for (const { source, due } of dueTimes(sources, states, d.now())) {
      if (d.stop.aborted) break;
      if (due > d.now()) {
        soonest = Math.min(soonest, due);
        continue;
      }
      const r = await d.runOne(source);
      runs++;
      if (r) d.onRun?.(r);
      const st = await d.state(source.name);
      soonest = Math.min(soonest, nextRunAt(st.lastRunAt, source.intervalMs, st.consecutiveFailures, d.now()));
    }
    if (d.stop.aborted) break;
    await d.sleep(Math.max(0, soonest - d.now()), d.stop).catch(() => undefined);
  }
  return runs;
}
