import type { HomePaths } from '../config/paths.js';
import { listSources, readRuns, type RunRecord } from '../reconcile/history.js';
import { sourceSchedule } from '../reconcile/source-schedule.js';
import { readSourceState } from '../reconcile/source-state.js';
import { readSourceList } from '../sources/sources-file.js';
import { byCodeUnits } from '../text-order.js';

/**
 * Each source as the page's runs view shows it (`GET /api/sources`): the registered ones and any whose run history
 * outlived them, with the last run, its outcome, the backoff state and the next run `reconcile --watch` makes
 * (reconcile/source-schedule.ts, as `scrydon source show`). Credentials are never part of it.
 */
interface SourceStatus {
  name: string;
  /** false: only its run history is left (the source was removed). */
  registered: boolean;
  type: string | null;
  url: string | null;
  interval: string | null;
  enabled: boolean;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastOutcome: string | null;
  lastRevision: string | null;
  backoff: { consecutiveFailures: number; backingOff: boolean; effectiveIntervalMs: number } | null;
  nextRunAt: string | null;
  lastRun: RunRecord | null;
}

export async function sourceStatuses(paths: HomePaths, now = Date.now()): Promise<SourceStatus[]> {
  const [{ sources }, withHistory] = await Promise.all([readSourceList(paths.sources), listSources(paths)]);
  const registered = new Map(sources.map((s) => [s.name, s]));
  const names = [...new Set([...registered.keys(), ...withHistory])].sort(byCodeUnits);
  const out: SourceStatus[] = [];
  for (const name of names) {
    const s = registered.get(name);
    const [state, [last]] = await Promise.all([readSourceState(paths, name), readRuns(paths, name, { limit: 1 })]);
    const schedule = s ? sourceSchedule(s, state, now) : undefined;
    out.push({
      name,
      registered: s !== undefined,
      type: s?.type ?? null,
      url: s?.url ?? null,
      interval: s?.interval ?? null,
      enabled: s?.enabled ?? false,
      lastRunAt: state.lastRunAt ?? last?.startedAt ?? null,
      lastSuccessAt: state.lastSuccessAt ?? null,
      lastOutcome: state.lastOutcome ?? last?.outcome ?? null,
      lastRevision: state.lastRevision ?? null,
      backoff: schedule?.backoff ?? null,
      nextRunAt: schedule?.nextRunAt ?? null,
      lastRun: last ?? null,
    });
  }
  return out;
}
