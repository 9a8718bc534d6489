import { ScrydonError, isScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import {
  appendAttestationReceipts,
  attestationReceipt,
  type AttestationReceipt,
} from '../signature/attestation-receipts.js';
import { storeLegacyRefs } from '../signature/locations.js';
import type { LoadedTrust, VerifyRequirement } from '../signature/verify.js';
import type { Source } from '../sources/source-spec.js';
import type { Store } from '../store/store-target.js';

/**
 * The attestations a source requires (`signaturePolicy.attestations`), checked after the pack's signature, offline,
 * over what is in the store, by verify-attestation's own verifier and signed by the source's signer. Every rule
 * satisfied: receipts name which attestation satisfied which rule. A rule with no attestation of its type: the
 * pack waits (pending-review). An attestation of the type that fails (signature, subject, certificate claim,
 * predicate field): verify_failed, naming the rule; a failure outranks a missing one. Under `--locked`, a rule the
 * lock pins (`pins`: the lock's `packs[].attestations`, matched by rule) is answered by that attestation digest
 * alone: absent, the pack waits; failing, verify_failed; another attestation that would pass does not count.
 */
interface AttestationOutcome {
  satisfied: AttestationReceipt[];
  /** The rules no stored attestation answers, with why. */
  missing: string[];
}

export async function checkAttestations(
  store: Store,
  d: Descriptor,
  ref: string,
  source: Source,
  requirement: VerifyRequirement,
  trust: LoadedTrust | undefined,
  signal?: AbortSignal,
  pins?: readonly AttestationReceipt[],
): Promise<AttestationOutcome> {
  if (!source.signaturePolicy.attestations?.length) return { satisfied: [], missing: [] };
  const [{ requiredAttestations }, { verifyAttestations }] = await Promise.all([
    import('../sources/attestation-requirements.js'),
    import('../signature/verify-attestation.js'),
  ]);
  const required = requiredAttestations(source.signaturePolicy, source);
  const legacyRefs = await storeLegacyRefs(store, d, 'att');
  const satisfied: AttestationReceipt[] = [];
  const missing: string[] = [];
  for (const r of required) {
    const pin = pins?.find((p) => p.rule === r.rule)?.attestation;
    const locked = pin ? ` (the attestation the lock pins)` : '';
    try {
      const res = await verifyAttestations(store, d, {
        requirement,
        trust,
        predicateType: r.predicateType,
        rules: r.rules,
        legacyRefs,
        signal,
        attestation: pin,
      });
      const first = res.verified[0];
      if (first) satisfied.push(attestationReceipt(r.rule, first));
    } catch (e) {
      if (isScrydonError(e, 'attestation_not_found')) {
        missing.push(pin ? `${r.rule}: the lock pins attestation ${pin}, and ${e.message}` : `${r.rule}: ${e.message}`);
        continue;
      }
      throw new ScrydonError(
        'verify_failed',
        `${ref}: attestation rule ${r.rule} of source ${source.name} failed${locked}: ${isScrydonError(e) ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
          ...(isScrydonError(e) ? { details: { reason: e.code } } : {}),
          hint: `scrydon verify-attestation ${ref} --type ${r.predicateType} shows the attestation; the source's policy is in scrydon source ls --json`,
        },
      );
    }
  }
  const verifiedAt = new Date().toISOString();
  await appendAttestationReceipts(
    store.paths.root,
    satisfied.map((s) => ({ ...s, digest: d.digest, reference: ref, verifiedAt, trustRoot: trust?.digest ?? null })),
  );
  return { satisfied, missing };
}
