import type { SecurityPolicy, SignatureSpec } from '../config/policy.js';
import { ScrydonError } from '../errors.js';
import { admitUnderPolicy, type Admission, type StorePolicyFiles } from '../install/admission.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { AttestationReceipt } from '../signature/attestation-receipts.js';
import { requirementOf } from '../signature/policy-engine.js';
import { appendReceipts, receiptsFor, signerLabel } from '../signature/receipts.js';
import { type LoadedTrust } from '../signature/verify.js';
import type { CatalogEntry } from '../sources/catalog-file.js';
import type { Source, SourcePolicy } from '../sources/source-spec.js';
import type { Store } from '../store/store-target.js';
import { checkAttestations } from './attestation-gate.js';

/**
 * Signature checks of a run. The SOURCE's policy decides, never the catalog's author: an entry saying
 * `kind: none` under a source that requires signatures is refused; a signed entry is checked against the
 * source's key or identity (the key or identity the catalog states is never used). Verification is the
 * signature layer's own engine (enforce + verifySignatures), offline, over what is in the store, through the
 * install layer's admitUnderPolicy: its admission is what lets the install step install that digest. Then the
 * attestations the source requires (attestation-gate.ts).
 */
type SignatureDecision =
  { kind: 'verify'; spec: SignatureSpec } | { kind: 'reject'; reason: string } | { kind: 'unsigned' };

/** Pure: what the source's policy asks of this entry. */
export function signatureDecision(policy: SourcePolicy, entry: CatalogEntry, sourceName: string): SignatureDecision {
  if (policy.kind === 'unsigned-allowed') return { kind: 'unsigned' };
  if (entry.signature.kind === 'none') {
    return {
      kind: 'reject',
      reason: `the catalog says signature kind none, but source ${sourceName} requires ${policy.kind} signatures`,
    };
  }
  const { kind: _kind, attestations: _attestations, ...rest } = policy;
  return { kind: 'verify', spec: { kind: policy.kind, ...rest } };
}

/** The source's policy as a SecurityPolicy of the engine: secure, one scope for everything the source brings. */
function sourceSecurityPolicy(sourceName: string, spec: SignatureSpec): SecurityPolicy {
  return {
    apiVersion: 'scrydon.io/v1',
    kind: 'SecurityPolicy',
    profile: 'secure',
    scopes: [{ name: `source ${sourceName}`, match: '**', signatures: [spec] }],
  };
}

export interface PackVerification {
  verified: boolean;
  /** `key <fingerprint>` or `<identity> (issuer <issuer>)`; null when not verified. */
  signer: string | null;
  /** The source's policy admits this digest to the install step (unsigned: only when the source allows it). */
  admission: Admission;
  /** Which attestation satisfied which of the source's attestation rules. */
  attestations: AttestationReceipt[];
  /** Rules no stored attestation answers: the pack waits in pending-review (empty: nothing waits). */
  missingAttestations: string[];
}

/** How a run's detail names the attestations: which satisfied which rule, and which rules none answers. */
export function attestationsText(v: PackVerification): string {
  const ok = v.attestations.map((a) => `; attestation ${a.attestation} satisfied ${a.rule}`).join('');
  return ok + (v.missingAttestations.length ? `; no attestation answers ${v.missingAttestations.join('; ')}` : '');
}

/**
 * Verifies `d` under the source's policy (verify_failed naming the reference and the rule), recording receipts;
 * `pins`: under --locked, the attestations the lock names for it (attestation-gate.ts).
 */
export async function verifyPack(
  store: Store,
  d: Descriptor,
  ref: string,
  source: Source,
  entry: CatalogEntry,
  trust: LoadedTrust | undefined,
  storePolicy: StorePolicyFiles,
  signal?: AbortSignal,
  pins?: readonly AttestationReceipt[],
): Promise<PackVerification> {
  const decision = signatureDecision(source.signaturePolicy, entry, source.name);
  if (decision.kind === 'reject')
    throw new ScrydonError('verify_failed', `${ref}: ${decision.reason}`, {
      hint: 'sign the pack and list it with its signature kind, or use a source whose policy is unsigned-allowed',
    });
  // unsigned-allowed is the source's policy too: a scope whose signature kind is none (nothing is verified)
  const spec: SignatureSpec = decision.kind === 'verify' ? decision.spec : { kind: 'none' };
  const { admission, enforcement: e } = await admitUnderPolicy(store, d, {
    policy: sourceSecurityPolicy(source.name, spec),
    policySource: `source ${source.name}`,
    ref,
    name: ref,
    trust,
    signal,
    storePolicy,
  });
  if (decision.kind === 'unsigned')
    return { verified: false, signer: null, admission, attestations: [], missingAttestations: [] };
  if (e.outcome !== 'verified')
    throw new ScrydonError('verify_failed', `${ref}: not verified (${e.outcome}, ${e.rule})`);
  await appendReceipts(store.paths.root, receiptsFor(e.result, ref, e.rule));
  const first = e.result.verified[0];
  const signer = first ? signerLabel(first.signer) : null;
  const requirement = requirementOf(spec, `source ${source.name}`);
  const att = requirement
    ? await checkAttestations(store, d, ref, source, requirement, trust, signal, pins)
    : { satisfied: [], missing: [] };
  return { verified: true, signer, admission, attestations: att.satisfied, missingAttestations: att.missing };
}
