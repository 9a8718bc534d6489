import { appendHashedLine, receiptFile, signerLabel } from './receipts.js';
import type { VerifiedAttestation } from './verify-attestation.js';

/**
 * Which attestation satisfied which rule of a policy: kept beside the signature receipts, in
 * `receipts/<hex>.attestations.jsonl` of the store (the same hashed-line format), and carried in a reconcile lock
 * (`packs[].attestations`), which travels with `save --all` and is what `--locked` follows.
 */
export interface AttestationReceipt {
  /** The rule, as the policy names it: `attestations[0] (https://slsa.dev/provenance/v1)`. */
  rule: string;
  predicateType: string;
  /** The attestation's manifest digest (a bundle referrer, or the legacy `.att` image). */
  attestation: string;
  format: VerifiedAttestation['format'];
  /** `key <fingerprint>` or `<identity> (issuer <issuer>)`. */
  signer: string;
}

/** What a lock and a receipt say of one verified attestation. */
export function attestationReceipt(rule: string, v: VerifiedAttestation): AttestationReceipt {
  return {
    rule,
    predicateType: v.predicateType,
    attestation: v.attestation,
    format: v.format,
    signer: signerLabel(v.signer),
  };
}

interface StoredAttestationReceipt extends AttestationReceipt {
  digest: string;
  reference: string;
  verifiedAt: string;
  trustRoot: string | null;
}

export async function appendAttestationReceipts(
  storeRoot: string,
  receipts: readonly StoredAttestationReceipt[],
): Promise<void> {
  for (const r of receipts)
    await appendHashedLine(storeRoot, receiptFile(storeRoot, r.digest, '.attestations.jsonl'), r);
}
