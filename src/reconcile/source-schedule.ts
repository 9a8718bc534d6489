import type { Source } from '../sources/source-spec.js';
import { effectiveIntervalMs, isBackingOff, nextRunAt } from './backoff.js';
import type { SourceState } from './source-state.js';

/** A source's backoff state and next run under `reconcile --watch` (pure): what `source show` and serve report. */
interface SourceSchedule {
  backoff: { consecutiveFailures: number; backingOff: boolean; effectiveIntervalMs: number };
  /** ISO 8601; null for a disabled source. */
  nextRunAt: string | null;
}

export function sourceSchedule(
  s: Pick<Source, 'intervalMs' | 'enabled'>,
  state: SourceState,
  now: number,
): SourceSchedule {
  return {
    backoff: {
      consecutiveFailures: state.consecutiveFailures,
      backingOff: isBackingOff(s.intervalMs, state.consecutiveFailures),
      effectiveIntervalMs: effectiveIntervalMs(s.intervalMs, state.consecutiveFailures),
    },
    nextRunAt: s.enabled
      ? new Date(nextRunAt(state.lastRunAt, s.intervalMs, state.consecutiveFailures, now)).toISOString()
      : null,
  };
}
