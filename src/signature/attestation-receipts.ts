import { appendHashedLines, readHashedLines, receiptFile, signerLabel, type Carried } from './receipts.js';
import type { VerifiedAttestation } from './verify-attestation.js';

/**
 * Which attestation satisfied which rule of a policy: kept beside the signature receipts, in
 * `receipts/<hex>.attestations.jsonl` of the store (the same hashed-line format; `save` carries the file, `load` keeps
 * what it brings in `receipts/carried/`), and in a reconcile lock (`packs[].attestations`), which travels with
 * `save --all` and whose attestation digests `--locked` requires.
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

export const ATTESTATION_SUFFIX = '.attestations.jsonl';

export interface StoredAttestationReceipt extends AttestationReceipt {
  digest: string;
  reference: string;
  verifiedAt: string;
  trustRoot: string | null;
  /** Only on a receipt `load` brought in (carried-receipts.ts); never on one readAttestationReceipts returns. */
  carried?: Carried;
}

/** The attestation receipts this machine recorded for `digest`, oldest first (a line claiming to be carried is skipped). */
export async function readAttestationReceipts(storeRoot: string, digest: string): Promise<StoredAttestationReceipt[]> {
  const all = await readHashedLines<StoredAttestationReceipt>(receiptFile(storeRoot, digest, ATTESTATION_SUFFIX));
  return all.filter((r) => r.carried === undefined);
}

export async function appendAttestationReceipts(
  storeRoot: string,
  receipts: readonly StoredAttestationReceipt[],
): Promise<void> {
  for (const r of receipts) await appendHashedLines(receiptFile(storeRoot, r.digest, ATTESTATION_SUFFIX), [r]);
}
