/**
 * When a source runs next (pure): after three consecutive failed runs a source backs off to
 * double its interval, capped at one hour (never shorter than its own interval), and the next success resets it.
 */
const BACKOFF_AFTER_FAILURES = 3;
export const BACKOFF_CAP_MS = 3_600_000;

export function effectiveIntervalMs(intervalMs: number, consecutiveFailures: number): number {
  if (consecutiveFailures < BACKOFF_AFTER_FAILURES) return intervalMs;
  return Math.max(intervalMs, Math.min(2 * intervalMs, BACKOFF_CAP_MS));
}

export function isBackingOff(intervalMs: number, consecutiveFailures: number): boolean {
  return effectiveIntervalMs(intervalMs, consecutiveFailures) !== intervalMs;
}

/** The time a source is due: its last run plus its effective interval; now when it never ran. */
export function nextRunAt(
  lastRunAt: string | undefined,
  intervalMs: number,
  consecutiveFailures: number,
  now: number,
): number {
  if (lastRunAt === undefined) return now;
  const last = Date.parse(lastRunAt);
  if (!Number.isFinite(last)) return now;
  return last + effectiveIntervalMs(intervalMs, consecutiveFailures);
}
