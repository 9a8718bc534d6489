import { join } from 'node:path';
import { loadPolicy } from '../src/config/policy.js';
import { assertRegistryAllowed } from '../src/signature/registry-allow.js';
import type { Context } from './context.js';

/** `$SCRYDON_HOME/policy.yaml`. */
export function policyFile(ctx: Context): string {
  return join(ctx.paths.home, 'policy.yaml');
}

/** secure profile: refuse registries policy.yaml does not list (pull, push, sign/verify --remote). */
export async function assertAllowedRegistry(ctx: Context, ref: string): Promise<void> {
  const { policy, source } = await loadPolicy(policyFile(ctx));
  assertRegistryAllowed(policy, ref, source);
}
