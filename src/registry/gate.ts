import type { SecurityPolicy } from '../config/policy.js';
import { ScrydonError } from '../errors.js';

/**
 * The one gate every request to a registry host passes: a RegistryClient is only ever made through it, and it
 * asks again before each request. Rules that must hold whoever talks to a registry (the secure profile's
 * allow-list) live here, not in the commands, so a new command cannot forget them.
 */
export interface RegistryGate {
  /** Throws when `registry` (canonical host[:port]) may not be contacted; `what` names the step, for the message. */
  admit(registry: string, what: string): void;
}

/** Every registry may be contacted (the permissive and disabled profiles, no policy.yaml). */
export const OPEN_GATE: RegistryGate = { admit: () => undefined };

function hostAllowed(allowed: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) => (a.startsWith('*.') ? h.endsWith(a.slice(1).toLowerCase()) : h === a.toLowerCase()));
}

/** The secure profile's allow-list (`allowedRegistries` of policy.yaml, `*.domain` for subdomains); other profiles: open. */
export function policyGate(policy: SecurityPolicy, source: string | undefined): RegistryGate {
  if (policy.profile !== 'secure') return OPEN_GATE;
  const allowed = policy.allowedRegistries ?? [];
  return {
    admit(registry, what) {
      if (hostAllowed(allowed, registry)) return;
      throw new ScrydonError(
        'registry_not_allowed',
        `${what}: registry ${registry} is not in allowedRegistries of the secure policy${source ? ` (${source})` : ''}`,
        {
          hint: `add "${registry}" to allowedRegistries in policy.yaml, or use an allowed registry`,
        },
      );
    },
  };
}
