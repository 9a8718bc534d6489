import { createHash } from 'node:crypto';
import { ScrydonError } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import type { CarriedFile, ReceiptFile } from './carried-receipts.js';

/**
 * Checks a receipts file an archive carries (untrusted) before anything is loaded: every line whole
 * (`<sha256 of the JSON>\t<JSON>\n`, as save writes it), a JSON object about the file's digest with the fields its
 * kind has. A torn or edited line refuses the archive: save writes only whole lines, so one is damage or tampering.
 */
const text = (v: unknown): boolean => typeof v === 'string';

function signerOk(s: unknown): boolean {
  const o = s as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) return false;
  return o.kind === 'key' ? text(o.fingerprint) : o.kind === 'certificate' && text(o.identity) && text(o.issuer);
}

/** Why `r` is not a receipt of `kind` about `digest`, or undefined. */
function wrongShape(r: Record<string, unknown>, f: ReceiptFile): string | undefined {
  if (r.digest !== f.digest) return `it is about ${String(r.digest).slice(0, 80)}, not ${f.digest}`;
  for (const k of ['reference', 'verifiedAt', 'format']) if (!text(r[k])) return `"${k}" is not a string`;
  if (r.trustRoot !== null && r.trustRoot !== undefined && !text(r.trustRoot)) return '"trustRoot" is not a string';
  if (r.rule !== undefined && !text(r.rule)) return '"rule" is not a string';
  if (r.carried !== undefined) {
    const c = r.carried as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || !text(c.archive) || !text(c.loadedAt) || !Number.isSafeInteger(c.hops))
      return '"carried" is not {archive, loadedAt, hops}';
  }
  if (f.kind === 'attestations') {
    for (const k of ['rule', 'predicateType', 'signer']) if (!text(r[k])) return `"${k}" is not a string`;
    if (!text(r.attestation) || !isDigest(r.attestation as string)) return '"attestation" is not a digest';
    return undefined;
  }
  if (!text(r.signature)) return '"signature" is not a string';
  if (!signerOk(r.signer)) return '"signer" is not a key or a certificate identity';
  if (!Array.isArray(r.signedAt) || !r.signedAt.every(text)) return '"signedAt" is not a list of times';
  return undefined;
}

export function checkCarriedFile(f: ReceiptFile, entry: string, what: string): CarriedFile {
  const bad = (n: number, why: string) =>
    new ScrydonError('archive_invalid', `${what}: ${entry} line ${n}: ${why}`, {
      hint: 'the archive was damaged or edited after scrydon save wrote it; nothing was loaded',
    });
  const lines = f.bytes.toString('utf8').split('\n');
  if (lines.pop() !== '') throw bad(lines.length + 1, 'torn (no end of line)');
  const receipts = lines.map((l, i) => {
    const tab = l.indexOf('\t');
    const json = l.slice(tab + 1);
    if (tab !== 64 || createHash('sha256').update(json).digest('hex') !== l.slice(0, 64))
      throw bad(i + 1, 'its hash does not match its text (torn or edited)');
    let r: unknown;
    try {
      r = JSON.parse(json);
    } catch {
      throw bad(i + 1, 'not JSON');
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad(i + 1, 'not a JSON object');
    const why = wrongShape(r as Record<string, unknown>, f);
    if (why) throw bad(i + 1, `not a ${f.kind === 'attestations' ? 'attestation ' : ''}receipt: ${why}`);
    return r as Record<string, unknown>;
  });
  return { digest: f.digest, kind: f.kind, receipts };
}
