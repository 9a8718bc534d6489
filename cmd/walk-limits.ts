import { LIMIT_VARIABLES, type WalkLimits } from '../src/content/limits.js';
import { ScrydonError } from '../src/errors.js';
import type { Context } from './context.js';

/**
 * The walk limits raised (or lowered) in the environment: `SCRYDON_MAX_MANIFESTS=50000` and the like
 * (src/content/limits.ts names them all). A value that is not a positive integer is a usage error.
 */
export function walkLimitsFromEnv(ctx: Context): Partial<WalkLimits> {
  const out: Partial<WalkLimits> = {};
  for (const [limit, variable] of Object.entries(LIMIT_VARIABLES) as Array<[keyof WalkLimits, string]>) {
    const v = ctx.env[variable];
    if (v === undefined || v === '') continue;
    const n = Number(v);
    if (!/^[0-9]+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new ScrydonError('usage', `${variable}="${v.slice(0, 40)}" is not a positive integer`);
    }
    out[limit] = n;
  }
  return out;
}
