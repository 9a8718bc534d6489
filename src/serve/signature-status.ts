import type { Descriptor } from '../oci/descriptor.js';
import type { RunPack } from '../reconcile/history.js';
// findSignatures is not in src/signature/index.ts's allow-list yet; everything else comes through it
import { findSignatures } from '../signature/discover.js';
import { readReceipts, signerLabel, type Receipt } from '../signature/receipts.js';
import { storeLegacyRefs } from '../signature/locations.js';
import type { Store } from '../store/store-target.js';

/**
 * What the page says about a stored artifact's signatures:
 * - `verified`: `scrydon verify` (or reconcile) verified it on this machine; `signers` says with which key or identity;
 * - `failed`: the newest reconcile run that handled this digest failed it with a signature error code;
 * - `unverified`: signatures are stored but none was verified here;
 * - `unsigned`: no signature is stored;
 * - `unknown`: the signatures could not be read.
 */
export type SignatureState = 'verified' | 'failed' | 'unverified' | 'unsigned' | 'unknown';

export interface SignatureStatus {
  status: SignatureState;
  /** `key <fingerprint>` or `<identity> (issuer <issuer>)`, newest verification first. */
  signers: string[];
  verifiedAt?: string;
  /** How many signatures are stored (bundles and legacy). */
  signatures?: number;
  code?: string;
  detail?: string;
  /** With `details` (the detail view): each verification recorded here, newest first (at most MAX_RECEIPTS). */
  receipts?: ReceiptView[];
}

/** One recorded verification as the detail view shows it (signature/receipts.ts). */
interface ReceiptView {
  signer: string;
  /** The signer's key fingerprint, or certificate identity and issuer. */
  fingerprint: string | null;
  identity: string | null;
  issuer: string | null;
  verifiedAt: string;
  /** Times the signature itself proves (transparency log, timestamps), if any. */
  signedAt: string[];
  /** The policy rule that decided, `command line`, or null for receipts older than the rule's record. */
  rule: string | null;
  format: string;
  reference: string;
  trustRoot: string | null;
}

const MAX_RECEIPTS = 20;

function receiptView(r: Receipt): ReceiptView {
  return {
    signer: signerLabel(r.signer),
    fingerprint: r.signer.kind === 'key' ? r.signer.fingerprint : null,
    identity: r.signer.kind === 'key' ? null : r.signer.identity,
    issuer: r.signer.kind === 'key' ? null : r.signer.issuer,
    verifiedAt: r.verifiedAt,
    signedAt: r.signedAt,
    rule: r.rule ?? null,
    format: r.format,
    reference: r.reference,
    trustRoot: r.trustRoot,
  };
}

/** Codes that mean a signature was checked and refused (catalog-spec/error-codes.md, "Signatures and policy"). */
const SIGNATURE_FAILURES: ReadonlySet<string> = new Set([
  'signature_not_found',
  'signature_invalid',
  'signature_unsupported',
  'claim_mismatch',
  'identity_mismatch',
  'issuer_mismatch',
  'certificate_expired',
  'certificate_untrusted',
  'tlog_invalid',
  'tlog_mismatch',
  'timestamp_missing',
  'timestamp_invalid',
  'key_mismatch',
  'verify_failed',
]);

function isSignatureFailure(p: RunPack): boolean {
  return p.outcome === 'failed' && p.code !== undefined && SIGNATURE_FAILURES.has(p.code);
}

/** How many signatures (bundles and legacy) the store holds for `d`: a function of index.json alone. */
export async function countStoredSignatures(store: Store, d: Descriptor): Promise<number> {
  const found = await findSignatures(store, d, await storeLegacyRefs(store, d));
  return found.bundles.length + found.legacy.length;
}

interface StatusOptions {
  /** The newest run-history entry for this digest, if any. */
  lastRun?: RunPack | undefined;
  /** List the receipts too. */
  details?: boolean;
  /** countStoredSignatures, or a cache of it (serve/store-views.ts keeps one per index.json). */
  count?: (d: Descriptor) => Promise<number>;
}

export async function signatureStatus(store: Store, d: Descriptor, o: StatusOptions = {}): Promise<SignatureStatus> {
  const { lastRun, details = false } = o;
  try {
    const receipts = await readReceipts(store.paths.root, d.digest);
    if (receipts.length) {
      const newest = [...receipts].sort((a, b) => (a.verifiedAt < b.verifiedAt ? 1 : -1));
      const signers = [...new Set(newest.map((r) => signerLabel(r.signer)))];
      return {
        status: 'verified',
        signers,
        ...(newest[0] ? { verifiedAt: newest[0].verifiedAt } : {}),
        ...(details ? { receipts: newest.slice(0, MAX_RECEIPTS).map(receiptView) } : {}),
      };
    }
    if (lastRun && isSignatureFailure(lastRun)) {
      return {
        status: 'failed',
        signers: [],
        ...(lastRun.code ? { code: lastRun.code } : {}),
        ...(lastRun.detail ? { detail: lastRun.detail } : {}),
      };
    }
    const n = await (o.count ? o.count(d) : countStoredSignatures(store, d));
    return n ? { status: 'unverified', signers: [], signatures: n } : { status: 'unsigned', signers: [] };
  } catch (e) {
    return { status: 'unknown', signers: [], detail: e instanceof Error ? e.message : String(e) };
  }
}
