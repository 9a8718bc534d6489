import { createHash, verify as signVerify, type KeyObject } from 'node:crypto';
import type { SignedEntity } from '@sigstore/verify';
import { ScrydonError } from '../errors.js';
import { keyAlgorithm } from './keys.js';
import type { LogBodyVerifier } from './log-body.js';

/**
 * Pure helpers around the adapter's verification: the signature content handed to the Verifier, the
 * verified times, and cosign's log-key comparison. Type-only use of sigstore-js; no calls into it.
 */

/** The public signing certificate facts the adapter extracts. */
export interface CertificateFacts {
  der: Buffer;
}

export function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/** The signature content the Verifier checks, with the hash the key's algorithm implies (sigstore-js assumes SHA-256). */
export function signatureContent(signed: Buffer, digestOfPayload: Buffer, signature: Buffer): SignedEntity['signature'] {
  return {
    signature,
    compareSignature: (s: Buffer) => s.equals(signature),
    compareDigest: (d: Buffer) => d.equals(digestOfPayload),
    verifySignature: (k: KeyObject) => verifyWith(k, signed, signature),
  };
}

export function verifyWith(k: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return signVerify(keyAlgorithm(k, 'signing key').hash, data, k, signature);
  } catch (e) {
    if (e instanceof ScrydonError) throw e;
    return false;
  }
}

export function verifiedTimes(e: SignedEntity): string[] {
  return e.timestamps.flatMap((t) => {
    if (t.$case === 'timestamp-authority') return [t.timestamp.signingTime.toISOString()];
    return t.tlogEntry.inclusionPromise ? [new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString()] : [];
  });
}

/** cosign's comparePublicKey: the key (or certificate) recorded in the log entry is the signer's. */
export function checkLogKey(v: LogBodyVerifier, signerKey: KeyObject, cert: CertificateFacts | undefined, where: string): void {
  const signerSpki = signerKey.export({ format: 'der', type: 'spki' });
  const ok = v.kind === 'certificate' ? (cert ? v.der.equals(cert.der) : false) || v.spki.equals(signerSpki) : v.spki.equals(signerSpki);
  if (!ok) throw new ScrydonError('tlog_mismatch', `${where}: the public key in the transparency log entry is not the signer's`);
}

