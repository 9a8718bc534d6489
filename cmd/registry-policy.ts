import { loadPolicy } from '../src/config/policy.js';
import { policyGate, type RegistryGate } from '../src/registry/gate.js';
import type { Context } from './context.js';

/** `$SCRYDON_HOME/policy.yaml`. */
export function policyFile(ctx: Context): string {
  return ctx.paths.policy;
}

/** The registry gate of policy.yaml (secure profile: its allow-list), handed to every Remote a command opens. */
export async function registryGate(ctx: Context): Promise<RegistryGate> {
  const { policy, source } = await loadPolicy(policyFile(ctx));
  return policyGate(policy, source);
}
