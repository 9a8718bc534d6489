import { ScrydonError } from '../errors.js';

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `1h30m`, `45s`, `0` → milliseconds. */
export function parseDuration(input: string, what = 'duration'): number {
  const s = input.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] ?? 0);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw new ScrydonError('usage', `invalid ${what} "${input}"`, {
      hint: 'use a number with a unit: 30s, 10m, 1h30m, 1d (or 0)',
    });
  }
  return Math.round(total);
}
