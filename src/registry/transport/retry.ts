/** When and how long to wait before retrying: 429, 5xx (but 501) and dropped connections, with backoff. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff; doubled each time, with ±25% jitter. */
  baseMs: number;
  /** No single wait is longer (a Retry-After beyond it is capped). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 250, maxMs: 10_000 };

export function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The wait before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(p: RetryPolicy, attempt: number, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, p.maxMs);
  const base = p.baseMs * 2 ** (attempt - 1);
  const jitter = base * (Math.random() * 0.5 - 0.25);
  return Math.min(Math.round(base + jitter), p.maxMs);
}
