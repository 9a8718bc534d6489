import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ATTESTATION_SUFFIX, readAttestationReceipts, type StoredAttestationReceipt } from './attestation-receipts.js';
import {
  appendHashedLines,
  hashedLine,
  MAX_RECEIPT_FILE,
  readHashedLines,
  receiptFile,
  type Carried,
} from './receipts.js';

/**
 * Receipts made on another machine. `save` carries the store's receipt files for the digests it writes (this
 * machine's lines and those it was carried itself); `load` keeps what an archive brings in `receipts/carried/<hex>…`,
 * each line stamped `carried` (the archive, when, how many archives it went through), never in the files this
 * machine's verifications append to. So a carried receipt is shown (inspect, serve) but never taken for a
 * verification here: site signing, the page's `verified` and reconcile read only the local files.
 */
export type ReceiptKind = 'signatures' | 'attestations';

const SUFFIX: Record<ReceiptKind, string> = { signatures: '.jsonl', attestations: ATTESTATION_SUFFIX };

/** A receipts file as an archive holds it: the digest its receipts are about, which kind, and its lines. */
export interface ReceiptFile {
  digest: string;
  kind: ReceiptKind;
  bytes: Buffer;
}

/** A receipts file of an archive, checked: its receipts as objects. */
export interface CarriedFile {
  digest: string;
  kind: ReceiptKind;
  receipts: Array<Record<string, unknown>>;
}

function carriedFile(storeRoot: string, digest: string, kind: ReceiptKind): string {
  const local = receiptFile(storeRoot, digest, SUFFIX[kind]);
  return join(dirname(local), 'carried', basename(local));
}

function isCarried(v: unknown): v is Carried {
  const c = v as Partial<Carried> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.archive === 'string' &&
    typeof c.loadedAt === 'string' &&
    Number.isSafeInteger(c.hops) &&
    (c.hops as number) >= 1
  );
}

/** The receipts of `kind` that archives brought in for `digest`, oldest first; each has its `carried`. */
export async function readCarriedReceipts<T extends object>(
  storeRoot: string,
  digest: string,
  kind: ReceiptKind,
): Promise<Array<T & { carried: Carried }>> {
  const all = await readHashedLines<T & { carried?: unknown }>(carriedFile(storeRoot, digest, kind));
  return all.filter((r): r is T & { carried: Carried } => isCarried(r.carried));
}

/** An attestation receipt as views show it: `carried` null when it was verified on this machine. */
export type AttestationReceiptView = Omit<StoredAttestationReceipt, 'carried'> & { carried: Carried | null };

/** Every attestation receipt of `digest`, this machine's (`carried: null`) then those archives brought, for a view. */
export async function allAttestationReceipts(storeRoot: string, digest: string): Promise<AttestationReceiptView[]> {
  return [
    ...(await readAttestationReceipts(storeRoot, digest)).map((r) => ({ ...r, carried: null })),
    ...(await readCarriedReceipts<StoredAttestationReceipt>(storeRoot, digest, 'attestations')),
  ];
}

const NAME = /^([0-9a-f]{64})(\.attestations)?\.jsonl$/;

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
}

/**
 * The receipts files `save` writes for the digests `wanted` accepts: this machine's lines, then those carried to it
 * (their `carried` kept), re-encoded (a torn line of the store never travels) and cut to the newest that fit in
 * MAX_RECEIPT_FILE.
 */
export async function* receiptsToCarry(
  storeRoot: string,
  wanted: (digest: string) => boolean,
): AsyncGenerator<ReceiptFile> {
  const dir = join(storeRoot, 'receipts');
  const found = new Map<string, { digest: string; kind: ReceiptKind }>();
  for (const name of [...(await names(dir)), ...(await names(join(dir, 'carried')))]) {
    const m = NAME.exec(name);
    if (!m?.[1] || !wanted(`sha256:${m[1]}`)) continue;
    found.set(name, { digest: `sha256:${m[1]}`, kind: m[2] ? 'attestations' : 'signatures' });
  }
  for (const { digest, kind } of found.values()) {
    const local = (await readHashedLines<{ carried?: unknown }>(receiptFile(storeRoot, digest, SUFFIX[kind]))).filter(
      (r) => r.carried === undefined,
    );
    const lines = [...local, ...(await readCarriedReceipts(storeRoot, digest, kind))].map(hashedLine);
    let size = 0;
    let from = lines.length;
    while (from > 0 && size + Buffer.byteLength(lines[from - 1] as string) <= MAX_RECEIPT_FILE)
      size += Buffer.byteLength(lines[--from] as string);
    if (from < lines.length) yield { digest, kind, bytes: Buffer.from(lines.slice(from).join('')) };
  }
}

/** The JSON of a receipt without its `carried`: what says two lines are the same receipt. */
function identity(r: Record<string, unknown>): string {
  const { carried: _carried, ...rest } = r;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/**
 * Records one receipts file an archive carried (`origin`: its name and the load's time): each receipt not already
 * known here (locally or carried) is appended to `receipts/carried/`, `carried` set, its hops counted on. Returns how
 * many.
 */
export async function recordCarried(
  storeRoot: string,
  f: CarriedFile,
  origin: { archive: string; loadedAt: string },
): Promise<number> {
  const path = carriedFile(storeRoot, f.digest, f.kind);
  const known = new Set(
    [
      ...(await readHashedLines<Record<string, unknown>>(receiptFile(storeRoot, f.digest, SUFFIX[f.kind]))),
      ...(await readHashedLines<Record<string, unknown>>(path)),
    ].map(identity),
  );
  const fresh: Array<Record<string, unknown>> = [];
  for (const r of f.receipts) {
    const id = identity(r);
    if (known.has(id)) continue;
    known.add(id);
    const { carried, ...rest } = r;
    const hops = isCarried(carried) ? carried.hops + 1 : 1;
    fresh.push({ ...rest, carried: { ...origin, hops } satisfies Carried });
  }
  await appendHashedLines(path, fresh);
  return fresh.length;
}
