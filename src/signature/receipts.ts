import { createHash } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { digestHex, isDigest } from '../oci/digest.js';
import type { Signer, VerifiedSignature, VerifyResult } from './verify.js';

/**
 * Verification receipts: what was verified, against which key or identity and trust root, and when. Kept in
 * the store (`receipts/<hex>.jsonl`, beside the OCI layout's files), one append-only file per digest, each line
 * `<sha256 of the JSON>\t<JSON>` so a torn append is dropped on read and no lock is needed. These files are facts
 * about this machine: `save` carries them, but `load` keeps what it brings apart, in `receipts/carried/`
 * (carried-receipts.ts), so nothing read from here was verified anywhere else.
 */
export interface Receipt {
  digest: string;
  reference: string;
  verifiedAt: string;
  format: VerifiedSignature['format'];
  signature: string;
  signer: Signer;
  signedAt: string[];
  trustRoot: string | null;
  transparencyLog: VerifiedSignature['transparencyLog'];
  /**
   * What decided whom to trust: the policy rule (`scope "…" (…) in FILE`, `source NAME`'s policy), or `command line`
   * when --key or an identity was given; absent in receipts written before it was recorded.
   */
  rule?: string;
  /** Set only on a receipt made on another machine and brought in by `load` (never on one read by readReceipts). */
  carried?: Carried;
}

/** Where a carried receipt came from: the archive `load` read it from, when, and how many archives it went through. */
export interface Carried {
  archive: string;
  loadedAt: string;
  /** 1: made on the machine that saved the archive; more: it was carried there too. */
  hops: number;
}

/** Who signed, as every view names it: `key <fingerprint>`, or `<identity> (issuer <issuer>)`. */
export function signerLabel(s: Signer): string {
  return s.kind === 'key' ? `key ${s.fingerprint}` : `${s.identity} (issuer ${s.issuer})`;
}

/** One receipt per signature a verification found, all stamped with the same time; `rule` as Receipt has it. */
export function receiptsFor(
  result: VerifyResult,
  reference: string,
  rule?: string,
  verifiedAt = new Date().toISOString(),
): Receipt[] {
  return result.verified.map((v) => ({
    digest: result.digest,
    reference,
    verifiedAt,
    format: v.format,
    signature: v.signature,
    signer: v.signer,
    signedAt: v.signedAt,
    trustRoot: result.trustRoot ?? null,
    transparencyLog: v.transparencyLog,
    ...(rule !== undefined ? { rule } : {}),
  }));
}

/** The newest 4 MiB of a receipts file are read; an archive carries no receipts file larger. */
export const MAX_RECEIPT_FILE = 4 * 1024 * 1024;

/** `<storeRoot>/receipts/<hex><suffix>`: `.jsonl` for signatures, `.attestations.jsonl` for attestations. */
export function receiptFile(storeRoot: string, digest: string, suffix = '.jsonl'): string {
  if (!isDigest(digest)) throw new ScrydonError('invalid_reference', `"${digest}" is not a digest`);
  return join(storeRoot, 'receipts', `${digestHex(digest)}${suffix}`);
}

const fileFor = (storeRoot: string, digest: string): string => receiptFile(storeRoot, digest);

/** One receipts line: `<sha256 of the JSON>\t<JSON>\n`. */
export function hashedLine(r: unknown): string {
  const json = JSON.stringify(r);
  return `${createHash('sha256').update(json).digest('hex')}\t${json}\n`;
}

export async function appendReceipts(storeRoot: string, receipts: readonly Receipt[]): Promise<void> {
  for (const r of receipts) await appendHashedLines(fileFor(storeRoot, r.digest), [r]);
}

/**
 * The verifications made on this machine for `digest`, oldest first; lines whose hash does not match (torn or edited)
 * are skipped, and so is a line claiming to be carried (load never writes one here).
 */
export async function readReceipts(storeRoot: string, digest: string): Promise<Receipt[]> {
  return (await readHashedLines<Receipt>(fileFor(storeRoot, digest))).filter((r) => r.carried === undefined);
}

/** Appends `<sha256>\t<JSON>` lines to `path` (a file under a store's `receipts/`) in one write, synced. */
export async function appendHashedLines(path: string, values: readonly unknown[]): Promise<void> {
  if (values.length === 0) return;
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'a', 0o644);
  try {
    await fh.appendFile(values.map(hashedLine).join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The values of a receipts file, oldest first; lines whose hash does not match (torn or edited) are skipped. */
export async function readHashedLines<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    const buf = await readFile(path);
    text = buf.subarray(Math.max(0, buf.byteLength - MAX_RECEIPT_FILE)).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: T[] = [];
  for (const l of text.split('\n')) {
    const tab = l.indexOf('\t');
    if (tab !== 64) continue;
    const json = l.slice(tab + 1);
    if (createHash('sha256').update(json).digest('hex') !== l.slice(0, tab)) continue;
    try {
      out.push(JSON.parse(json) as T);
    } catch {
      /* skipped */
    }
  }
  return out;
}
