import { ScrydonError } from '../errors.js';
import { rulesFromPolicy, type AttestationRules } from '../signature/attestation-rules.js';
import type { Source, SourcePolicy } from './source-spec.js';

/**
 * The attestations a source requires of its packs (`signaturePolicy.attestations`), compiled: each rule's regexps
 * (RE2-safe) and semver ranges checked, policy_invalid naming the source and the rule otherwise. `source add`
 * compiles them before anything is written; a run compiles them again for the packs it verifies.
 */
interface RequiredAttestation {
  /** How the rule reads in messages and receipts: `attestations[0] (https://slsa.dev/provenance/v1)`. */
  rule: string;
  predicateType: string;
  rules: AttestationRules;
}

export function requiredAttestations(p: SourcePolicy, source: Pick<Source, 'name'>): RequiredAttestation[] {
  return (p.attestations ?? []).map((r, i) => {
    const rule = `attestations[${i}] (${r.predicateType})`;
    try {
      return { rule, predicateType: r.predicateType, rules: rulesFromPolicy(r, `source ${source.name}: ${rule}`) };
    } catch (e) {
      throw new ScrydonError('policy_invalid', (e as Error).message, {
        cause: e,
        hint: 'see catalog-spec/attestations.md "The policy file" (exact, regexp without lookaround, semver range)',
      });
    }
  });
}
