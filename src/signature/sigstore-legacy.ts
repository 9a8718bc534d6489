/**
 * Verification of cosign's legacy simple-signing layers (`.sig`, and `.att` envelopes): the layer's annotations —
 * the Rekor bundle (SET and integrated time), the RFC 3161 timestamp and the certificate — become the SignedEntity
 * sigstore-js checks with the adapter's one Verifier (`verifyEntity`). With sigstore-adapter.ts and
 * sigstore-trust-root.ts, the only code that calls sigstore-js.
 */
import { createPublicKey } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';
import { ScrydonError } from '../errors.js';
import { sha256, signatureContent } from './evidence.js';
import { verifiedScheme } from './keys.js';
import type { LegacyParts } from './legacy-parts.js';
import { verifyEntity, type VerifiedEvidence, type VerifyInput } from './sigstore-adapter.js';

/** Verifies a legacy `.sig` layer: the Rekor bundle's SET, the certificate at its integrated time, the signature. */
export function verifyLegacy(l: LegacyParts, input: VerifyInput): VerifiedEvidence {
  const tlogEntries: TransparencyLogEntry[] = [];
  const timestamps: SignedEntity['timestamps'] = [];
  if (l.rekorBundle) {
    const rb = l.rekorBundle;
    const entry: TransparencyLogEntry = {
      logIndex: String(rb.logIndex),
      logId: { keyId: rb.logId },
      kindVersion: { kind: rb.kind, version: rb.apiVersion },
      integratedTime: String(rb.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rb.signedEntryTimestamp },
      inclusionProof: undefined,
      canonicalizedBody: rb.body,
    };
    tlogEntries.push(entry);
    timestamps.push({ $case: 'transparency-log', tlogEntry: entry });
  }
  if (l.rfc3161) {
    let ts: RFC3161Timestamp;
    try {
      ts = RFC3161Timestamp.parse(Buffer.from(l.rfc3161));
    } catch (e) {
      throw new ScrydonError('timestamp_invalid', `${input.where}: the RFC 3161 timestamp does not parse`, {
        cause: e,
      });
    }
    timestamps.push({ $case: 'timestamp-authority', timestamp: ts });
  }
  const certificate = l.certificatePem ? parseCertificate(l.certificatePem, input.where) : undefined;
  // with --key, cosign verifies with the given key and does not use a certificate the layer carries (verifyInternal)
  const key: SignedEntity['key'] =
    certificate && input.mode.kind === 'keyless'
      ? { $case: 'certificate', certificate }
      : { $case: 'public-key', hint: 'user-key' };
  const checked = signatureContent(l.payload, l.payloadDigest ?? sha256(l.payload), l.signature);
  try {
    return verifyEntity({ signature: checked.content, key, tlogEntries, timestamps }, checked, input, tlogEntries);
  } catch (e) {
    throw certificateKeyMismatch(e, certificate, l, input) ?? e;
  }
}

function parseCertificate(pem: string, where: string): X509Certificate {
  try {
    return X509Certificate.parse(pem);
  } catch (e) {
    throw new ScrydonError('certificate_untrusted', `${where}: the certificate annotation does not parse`, {
      cause: e,
    });
  }
}

/** With --key, a signature that fails with the given key but verifies with the key of the certificate the layer carries: the wrong key. */
function certificateKeyMismatch(
  e: unknown,
  cert: X509Certificate | undefined,
  l: LegacyParts,
  input: VerifyInput,
): ScrydonError | undefined {
  if (!cert || input.mode.kind !== 'key' || !(e instanceof ScrydonError) || e.code !== 'signature_invalid')
    return undefined;
  try {
    const certKey = createPublicKey({ key: Buffer.from(cert.publicKey), format: 'der', type: 'spki' });
    if (!verifiedScheme(certKey, l.payload, l.signature, input.where)) return undefined;
  } catch {
    return undefined; // a certificate key scrydon cannot use: the signature failure stands
  }
  return new ScrydonError(
    'key_mismatch',
    `${input.where}: signed by the key of the certificate it carries, not by ${input.mode.key.fingerprint}`,
    {
      hint: 'verify it keylessly with --certificate-identity and --certificate-oidc-issuer, or give that certificate with --key',
      cause: e,
    },
  );
}
