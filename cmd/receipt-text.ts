import type { AttestationReceiptView } from '../src/signature/carried-receipts.js';
import { signerLabel, type Carried, type Receipt } from '../src/signature/receipts.js';

const from = (c: Carried | null | undefined): string =>
  c ? `carried (archive ${c.archive}, loaded ${c.loadedAt}${c.hops > 1 ? `, ${c.hops} archives away` : ''})` : 'local';

/** Verification receipts as `inspect` shows them (apart from signature-options.ts, which loads the key code). */
export function receiptText(receipts: readonly Receipt[]): string {
  const lines = ['', `Verification receipts (${receipts.length}):`];
  for (const r of receipts) {
    lines.push(`  ${r.verifiedAt}  ${r.format}  ${signerLabel(r.signer)}  trust root ${r.trustRoot ?? 'none'}`);
  }
  return lines.join('\n');
}

/** Signature receipts an archive brought (made on another machine): shown apart, never as this machine's. */
export function carriedReceiptText(receipts: readonly Receipt[]): string {
  if (!receipts.length) return '';
  const lines = ['', `Carried verification receipts (${receipts.length}, made elsewhere; not verified here):`];
  for (const r of receipts) {
    lines.push(`  ${r.verifiedAt}  ${r.format}  ${signerLabel(r.signer)}  ${from(r.carried)}`);
  }
  return lines.join('\n');
}

/** Which attestation satisfied which rule, by whom signed, when, and whether verified here or carried. */
export function attestationReceiptText(receipts: readonly AttestationReceiptView[]): string {
  if (!receipts.length) return '';
  const lines = ['', `Attestation receipts (${receipts.length}):`];
  for (const r of receipts) {
    lines.push(
      `  ${r.verifiedAt}  ${r.rule}  ${from(r.carried)}`,
      `    attestation ${r.attestation} (${r.format}), signer ${r.signer}`,
    );
  }
  return lines.join('\n');
}
