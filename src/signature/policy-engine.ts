import type { PolicyScope, SecurityPolicy, SignatureSpec } from '../config/policy.js';
import { isScrydonError, ScrydonError } from '../errors.js';
import { exact, regexp, type Matcher } from './identity.js';
import { parsePublicKey } from './keys.js';
import type { VerifyRequirement, VerifyResult } from './verify.js';
import { policyName } from '../names/store.js';

/**
 * The policy engine: which registries may be used, and whose signatures an artifact needs, by its name.
 * `scrydon verify` (with no explicit key or identity) asks it; reconcile's per-source signature policies use
 * the same SignatureSpec form and the same enforce().
 */

/** `*` within one path segment, `**` across segments; the rest literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The first scope whose pattern matches `name` (a policyName). */
function matchScope(policy: SecurityPolicy, name: string): PolicyScope | undefined {
  return (policy.scopes ?? []).find((s) => globToRegExp(s.match).test(name));
}

function matcher(value: string | undefined, pattern: string | undefined, what: string): Matcher {
  if (value !== undefined) return exact(value);
  if (pattern !== undefined) return regexp(pattern, what);
  throw new ScrydonError('policy_invalid', `a cosign-keyless requirement lacks ${what}`);
}

/** A policy requirement as a verification requirement; undefined for `kind: none`. */
export function requirementOf(spec: SignatureSpec, where: string): VerifyRequirement | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'cosign-key':
      return { kind: 'key', key: parsePublicKey(spec.publicKey ?? '', `${where}: publicKey`) };
    case 'cosign-keyless':
      return {
        kind: 'keyless',
        identity: {
          identity: matcher(spec.certificateIdentity, spec.certificateIdentityRegexp, 'certificateIdentity'),
          issuer: matcher(spec.certificateOidcIssuer, spec.certificateOidcIssuerRegexp, 'certificateOidcIssuer'),
        },
      };
  }
}

export type Enforcement =
  | { outcome: 'verified'; rule: string; result: VerifyResult; warnings: string[] }
  | { outcome: 'not-required' | 'skipped' | 'warned'; rule: string; warnings: string[] };

/**
 * Applies the policy to `ref` (matched by `name`, its repository; the store name for a stored artifact): finds its
 * scope, runs `verify` with each requirement of the scope until one
 * verifies (each once), and decides by profile. secure: a failure (or no scope) is verify_failed naming the
 * reference and the rule; permissive: it is a warning; disabled: nothing is verified and a warning says so.
 * `strict` (scrydon verify, whose exit status is the answer): a failed verification is verify_failed in every profile.
 */
export async function enforce(
  policy: SecurityPolicy,
  source: string | undefined,
  ref: string,
  verify: (r: VerifyRequirement) => Promise<VerifyResult>,
  name: string = policyName(ref),
  o: { strict?: boolean } = {},
): Promise<Enforcement> {
  const file = source ?? 'the default policy';
  if (policy.profile === 'disabled') {
    return {
      outcome: 'skipped',
      rule: 'profile disabled',
      warnings: [`signature policy is disabled (${file}): ${ref} was not verified; development only`],
    };
  }
  const scope = matchScope(policy, name);
  const rule = scope ? `scope "${scope.name}" (${scope.match}) in ${file}` : `profile ${policy.profile} in ${file}`;
  const fail = (why: string, cause?: unknown): Enforcement => {
    if (policy.profile === 'secure' || o.strict === true) {
      throw new ScrydonError('verify_failed', `${ref}: ${why} (rule: ${rule})`, {
        cause,
        ...(isScrydonError(cause) ? { details: { reason: cause.code } } : {}),
        hint: 'the secure profile requires a verified signature; see scrydon verify --help',
      });
    }
    return { outcome: 'warned', rule, warnings: [`${ref}: ${why} (rule: ${rule}); allowed by the permissive profile`] };
  };
  if (!scope)
    return policy.profile === 'secure'
      ? fail('no policy scope says whose signature it needs')
      : { outcome: 'not-required', rule, warnings: [] };
  const requirements = scope.signatures.map((s, i) => requirementOf(s, `${rule}: signatures[${i}]`));
  if (requirements.some((r) => r === undefined)) return { outcome: 'not-required', rule, warnings: [] };
  let first: unknown;
  for (const r of requirements) {
    try {
      return { outcome: 'verified', rule, result: await verify(r as VerifyRequirement), warnings: [] };
    } catch (e) {
      first ??= e;
    }
  }
  return fail(`signature verification failed: ${first instanceof Error ? first.message : String(first)}`, first);
}
