import { createHash, type KeyObject } from 'node:crypto';
import type { SignedEntity } from '@sigstore/verify';
import { ScrydonError } from '../errors.js';
import { verifiedScheme, type KeyScheme } from './keys.js';
import type { LogBodyVerifier } from './log-body.js';

/**
 * Pure helpers around the adapter's verification: the signature content handed to the Verifier, the
 * verified times, and cosign's log-key comparison. Type-only use of sigstore-js; no calls into it.
 */

/** The public signing certificate facts the adapter extracts. */
interface CertificateFacts {
  der: Buffer;
}

export function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

/** The signature content handed to the Verifier, and the scheme it verified under once it has. */
export interface CheckedSignature {
  content: SignedEntity['signature'];
  /** The key type and hash the signature verified with (P-384 and P-521 accept two hashes), once verified. */
  scheme(): KeyScheme | undefined;
}

/** The signature content the Verifier checks, with the hashes the key type accepts (sigstore-js assumes SHA-256). */
export function signatureContent(signed: Buffer, digestOfPayload: Buffer, signature: Buffer): CheckedSignature {
  let matched: KeyScheme | undefined;
  const content: SignedEntity['signature'] = {
    signature,
    compareSignature: (s: Buffer) => s.equals(signature),
    compareDigest: (d: Buffer) => d.equals(digestOfPayload),
    verifySignature: (k: KeyObject) => {
      matched = verifiedScheme(k, signed, signature, 'signing key');
      return matched !== undefined;
    },
  };
  return { content, scheme: () => matched };
}

export function verifiedTimes(e: SignedEntity): string[] {
  return e.timestamps.flatMap((t) => {
    if (t.$case === 'timestamp-authority') return [t.timestamp.signingTime.toISOString()];
    return t.tlogEntry.inclusionPromise ? [new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString()] : [];
  });
}

/** cosign's comparePublicKey: the key (or certificate) recorded in the log entry is the signer's. */
export function checkLogKey(
  v: LogBodyVerifier,
  signerKey: KeyObject,
  cert: CertificateFacts | undefined,
  where: string,
): void {
  const signerSpki = signerKey.export({ format: 'der', type: 'spki' });
  const ok =
    v.kind === 'certificate'
      ? (cert ? v.der.equals(cert.der) : false) || v.spki.equals(signerSpki)
      : v.spki.equals(signerSpki);
  if (!ok)
    throw new ScrydonError(
      'tlog_mismatch',
      `${where}: the public key in the transparency log entry is not the signer's`,
    );
}
