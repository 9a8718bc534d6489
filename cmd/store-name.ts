import { resolveName } from '../src/pack/resolve-name.js';
import type { Context } from './context.js';

/**
 * The store name a command works on for what the user typed (src/pack/resolve-name.ts: a stored name as written,
 * else ID:VERSION, ID@VERSION or a bare ID by the pack listing): inspect, install, save, sign, verify, push and tag
 * all read their REF through this, so a name means the same in every command.
 */
export async function storeName(ctx: Context, ref: string): Promise<string> {
  return (await resolveName(await ctx.store(), ref, { signal: ctx.signal })).ref;
}
