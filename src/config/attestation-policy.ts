import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';

/** One matcher of a policy file: exactly one of its three keys (catalog-spec/attestation-policy.schema.json). */
export interface MatcherSpec {
  exact?: string | number | boolean;
  regexp?: string;
  semver?: string;
}

export interface PredicateRuleSpec extends MatcherSpec {
  path: string;
}

/** `verify-attestation --policy FILE` (catalog-spec/attestation-policy.schema.json). */
export interface AttestationPolicySpec {
  apiVersion: 'scrydon.io/v1';
  kind: 'AttestationPolicy';
  predicateType?: string;
  certificate?: Record<string, MatcherSpec>;
  predicate?: PredicateRuleSpec[];
}

/**
 * One attestation a source requires of its packs (sources.schema.json `signaturePolicy.attestations`): a policy
 * file's rules without apiVersion and kind, its predicate type required.
 */
export type AttestationRequirementSpec = Omit<AttestationPolicySpec, 'apiVersion' | 'kind' | 'predicateType'> & {
  predicateType: string;
};

/** Reads and validates an attestation policy file (YAML or JSON); a missing or invalid one is an error. */
export async function loadAttestationPolicy(path: string): Promise<AttestationPolicySpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ScrydonError('io_error', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const [{ describeProblems }, { parseYamlText }, { schemaProblems }, { validate }] = await Promise.all([
    import('./locate.js'),
    import('./yaml-locate.js'),
    import('./schema.js'),
    import('./validators/attestation-policy.js'),
  ]);
  const parsed = parseYamlText(text);
  const problems = parsed.problems.length ? parsed.problems : schemaProblems(validate, parsed.value, parsed.locate);
  if (problems.length) {
    throw new ScrydonError('policy_invalid', describeProblems(path, problems), {
      hint: 'see catalog-spec/attestation-policy.schema.json',
    });
  }
  return parsed.value as AttestationPolicySpec;
}
