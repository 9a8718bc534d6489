import { signerLabel, type Receipt } from '../src/signature/receipts.js';

/** Verification receipts as `inspect` shows them (apart from signature-options.ts, which loads the key code). */
export function receiptText(receipts: readonly Receipt[]): string {
  const lines = ['', `Verification receipts (${receipts.length}):`];
  for (const r of receipts) {
    lines.push(`  ${r.verifiedAt}  ${r.format}  ${signerLabel(r.signer)}  trust root ${r.trustRoot ?? 'none'}`);
  }
  return lines.join('\n');
}
