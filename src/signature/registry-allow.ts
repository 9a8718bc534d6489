import type { SecurityPolicy } from '../config/policy.js';
import { ScrydonError } from '../errors.js';
import { parseReference } from '../oci/reference.js';

// The secure profile's registry allow-list, apart from the policy engine so that pull and push (which check it
// on every run) do not load the signature code.

function hostAllowed(allowed: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => (a.startsWith('*.') ? h.endsWith(a.slice(1).toLowerCase()) : h === a.toLowerCase()));
}

/** In the secure profile, only `allowedRegistries`; local names (no registry) are always allowed. */
export function assertRegistryAllowed(policy: SecurityPolicy, ref: string, source: string | undefined): void {
  if (policy.profile !== 'secure') return;
  const registry = parseReference(ref).registry;
  if (registry === undefined || hostAllowed(policy.allowedRegistries ?? [], registry)) return;
  throw new ScrydonError('registry_not_allowed', `${ref}: registry ${registry} is not in allowedRegistries of the secure policy${source ? ` (${source})` : ''}`, {
    hint: `add "${registry}" to allowedRegistries in policy.yaml, or use an allowed registry`,
  });
}
