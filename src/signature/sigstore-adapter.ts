/**
 * With sigstore-legacy.ts and sigstore-trust-root.ts, the only code that calls sigstore-js (the Node-20 line:
 * @sigstore/verify 3.1, bundle 4.0, core 3.2, protobuf-specs 0.5): signing, bundles and the one Verifier here,
 * cosign's legacy layers there, trusted roots in the third. Everything else in scrydon sees plain values. Moving to
 * sigstore-js v5 (Node ≥ 22) should be a change to these three files alone.
 *
 * Offline by construction: trust material comes from a trusted_root.json the caller read from disk;
 * `sigstore.verify()` / `createVerifier()` (which fetch TUF metadata) are never used.
 */
import type { KeyObject } from 'node:crypto';
import {
  bundleFromJSON,
  bundleToJSON,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  type TransparencyLogEntry,
} from '@sigstore/bundle';
import { dsse, type X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  toSignedEntity,
  toTrustMaterial,
  Verifier,
  VerificationError,
  type SignedEntity,
  type TrustMaterial,
} from '@sigstore/verify';
import { ScrydonError } from '../errors.js';
import type { TrustRoot } from './sigstore-trust-root.js';
import { checkLogKey, sha256, signatureContent, verifiedTimes, type CheckedSignature } from './evidence.js';
import { keyHint, signData, type KeyAlgorithm, type PublicKeyInfo, type SigningKey } from './keys.js';
import { bodyVerifier } from './log-body.js';

// ---------------------------------------------------------------------------------------------- trust material

const EMPTY_ROOT = (): TrustedRoot =>
  TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });

function material(trust: TrustRoot | undefined, key: PublicKeyInfo | undefined): TrustMaterial {
  const finder = (): { publicKey: KeyObject; validFor: () => boolean } => {
    if (!key)
      throw new VerificationError({
        code: 'PUBLIC_KEY_ERROR',
        message: 'the signature names a public key, and no --key was given',
      });
    return { publicKey: key.key, validFor: () => true };
  };
  return toTrustMaterial(trust?.root ?? EMPTY_ROOT(), finder);
}

// ---------------------------------------------------------------------------------------------- sign

/**
 * A Sigstore bundle v0.3 (DSSE, public-key hint, no log entry) over `payload`, as cosign 3 writes with `--key`
 * (sigstore-go pkg/sign: the DSSE signature has no `keyid`, and no `timestampVerificationData` without a TSA).
 */
export function buildKeyDsseBundle(payload: Buffer, payloadType: string, key: SigningKey): Buffer {
  const bundle: Bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      content: { $case: 'publicKey', publicKey: { hint: keyHint(key.publicKey.key) } },
      tlogEntries: [],
      timestampVerificationData: undefined,
    },
    content: {
      $case: 'dsseEnvelope',
      dsseEnvelope: {
        payload,
        payloadType,
        signatures: [{ sig: signData(key, dsse.preAuthEncoding(payloadType, payload)), keyid: '' }],
      },
    },
  };
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)), 'utf8');
}

// ---------------------------------------------------------------------------------------------- verify

export type VerifyMode = { kind: 'key'; key: PublicKeyInfo } | { kind: 'keyless' };

export interface SigningCertificate {
  der: Buffer;
  /** Every subject alternative name: email, URI, DNS, IP and otherName values. */
  sans: string[];
  /** The OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, else .1.1). */
  issuer: string | undefined;
  notBefore: string;
  notAfter: string;
}

/** What a verified signature proved, before the claim (digest, predicate) is checked by the caller. */
export interface VerifiedEvidence {
  signerKey: KeyObject;
  /** The key type and hash the signature verified with. */
  algorithm: KeyAlgorithm;
  certificate: SigningCertificate | undefined;
  /** Verified signing times: log integrated times and TSA times. */
  times: string[];
  tlogEntries: number;
  tsaTimestamps: number;
  /** True when a key-mode signature carried log entries that were not checked (no trusted root given). */
  tlogUnchecked: boolean;
}

export interface VerifyInput {
  mode: VerifyMode;
  trust: TrustRoot | undefined;
  where: string;
}

interface ParsedBundle {
  bundle: Bundle;
  payload: Buffer;
  payloadType: string;
  keyHint: string | undefined;
}

/** Parses bundle JSON; only v0.3 DSSE bundles are signatures here (cosign's rule). */
export function parseBundle(bytes: Buffer, where: string): ParsedBundle {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('signature_unsupported', `${where}: the bundle is not JSON`, { cause: e });
  }
  const mt = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  if (mt !== BUNDLE_V03_MEDIA_TYPE)
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: bundle media type "${String(mt)}" is not ${BUNDLE_V03_MEDIA_TYPE} (cosign reads v0.3 and later only)`,
    );
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    throw new ScrydonError('signature_unsupported', `${where}: not a valid Sigstore bundle: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: a message-signature bundle is not an image signature (cosign requires a DSSE envelope)`,
    );
  }
  const env = bundle.content.dsseEnvelope;
  if (env.signatures.length !== 1)
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: the DSSE envelope has ${env.signatures.length} signatures; one is supported`,
    );
  const vm = bundle.verificationMaterial.content;
  return {
    bundle,
    payload: Buffer.from(env.payload),
    payloadType: env.payloadType,
    keyHint: vm.$case === 'publicKey' ? vm.publicKey.hint : undefined,
  };
}

/** Verifies a parsed v0.3 DSSE bundle: key or chain at the signing time, SCT, log entries, timestamps, signature. */
export function verifyBundle(p: ParsedBundle, input: VerifyInput): VerifiedEvidence {
  const base = toSignedEntity(p.bundle);
  const env = p.bundle.content.$case === 'dsseEnvelope' ? p.bundle.content.dsseEnvelope : undefined;
  const sig = Buffer.from(env?.signatures[0]?.sig ?? Buffer.alloc(0));
  const checked = signatureContent(dsse.preAuthEncoding(p.payloadType, p.payload), sha256(p.payload), sig);
  return verifyEntity(
    { ...base, signature: checked.content },
    checked,
    input,
    p.bundle.verificationMaterial.tlogEntries,
  );
}

/**
 * An SCT is required when the trusted root lists a CT log, as for Sigstore's public instance. A root without one
 * (GitHub's private Fulcio, whose certificates carry no SCT; gh verifies them with signed timestamps alone) cannot
 * check one. An SCT a certificate does carry is always checked (sigstore-js), whatever the threshold.
 */
function requiresSct(trust: TrustRoot | undefined): boolean {
  return (trust?.root.ctlogs.length ?? 0) > 0;
}

/** Checks an entity with sigstore-js's Verifier, under the thresholds the mode and the trusted root call for. */
export function verifyEntity(
  entity: SignedEntity,
  checked: CheckedSignature,
  input: VerifyInput,
  entries: readonly TransparencyLogEntry[],
): VerifiedEvidence {
  const { mode, trust, where } = input;
  const keyless = entity.key.$case === 'certificate';
  if (mode.kind === 'keyless' && !keyless)
    throw new ScrydonError('key_mismatch', `${where}: signed with a key, not a certificate; verify it with --key`);
  if (mode.kind === 'key' && keyless) {
    throw new ScrydonError(
      'key_mismatch',
      `${where}: signed keylessly (a certificate), not with a key; verify it with --certificate-identity and --certificate-oidc-issuer`,
    );
  }
  // refuses rekord and other kinds early, with a clear error; with --key, a log entry naming another key is a wrong key
  const logged = entries.map((e) => bodyVerifier(e.canonicalizedBody, where));
  if (mode.kind === 'key') {
    const spki = mode.key.key.export({ format: 'der', type: 'spki' });
    if (logged.some((v) => !v.spki.equals(spki)))
      throw new ScrydonError(
        'key_mismatch',
        `${where}: the signature's log entry names another public key than ${mode.key.fingerprint}`,
      );
  }
  let e2 = entity;
  let tlogUnchecked = false;
  if (mode.kind === 'key' && !trust && (entity.tlogEntries.length || entity.timestamps.length)) {
    // the key is the trust anchor; log evidence could only be checked against a trusted root (cosign:
    // --insecure-ignore-tlog)
    e2 = { ...entity, tlogEntries: [], timestamps: [] };
    tlogUnchecked = true;
  }
  const times = e2.timestamps.filter(
    (t) => t.$case === 'timestamp-authority' || t.tlogEntry.inclusionPromise !== undefined,
  );
  if (keyless && times.length === 0) {
    throw new ScrydonError(
      'timestamp_missing',
      `${where}: keyless signature with neither a log entry (integrated time) nor a TSA timestamp: its 10-minute certificate cannot be checked at signing time`,
      {
        hint: 'sign with a transparency log or a timestamp authority, or sign with a key',
      },
    );
  }
  if (keyless && !trust)
    throw new ScrydonError('trust_missing', `${where}: keyless verification needs a trusted root`, {
      hint: 'scrydon trust import trusted_root.json',
    });
  const verifier = new Verifier(material(trust, mode.kind === 'key' ? mode.key : undefined), {
    // a verified time is the evidence: a log's integrated time (SET) or a TSA's RFC 3161 time; the log itself is
    // not required (GitHub's private-repository attestations carry a TSA timestamp and no log entry)
    tlogThreshold: 0,
    ctlogThreshold: keyless && requiresSct(trust) ? 1 : 0,
    timestampThreshold: keyless ? 1 : 0,
  });
  let signer;
  try {
    signer = verifier.verify(e2);
  } catch (e) {
    throw mapError(e, entity, where);
  }
  const algorithm = checked.scheme()?.algorithm;
  if (!algorithm)
    throw new ScrydonError('signature_invalid', `${where}: the verifier accepted a signature no scheme verified`);
  const certificate = entity.key.$case === 'certificate' ? certificateInfo(entity.key.certificate) : undefined;
  for (const e of e2.tlogEntries) checkLogKey(bodyVerifier(e.canonicalizedBody, where), signer.key, certificate, where);
  return {
    signerKey: signer.key,
    algorithm,
    certificate,
    times: verifiedTimes(e2),
    tlogEntries: e2.tlogEntries.length,
    tsaTimestamps: e2.timestamps.filter((t) => t.$case === 'timestamp-authority').length,
    tlogUnchecked,
  };
}

const OID_SAN = '2.5.29.17';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

function certificateInfo(c: X509Certificate): SigningCertificate {
  const sans: string[] = [];
  for (const gn of c.extension(OID_SAN)?.valueObj.subs[0]?.subs ?? []) {
    const tag = gn.tag.number;
    if (tag === 1 || tag === 2 || tag === 6) sans.push(gn.value.toString('ascii'));
    else if (tag === 7) sans.push(ipString(gn.value));
    else if (tag === 0) {
      const v = gn.subs[1]?.subs[0]?.value;
      if (v) sans.push(v.toString('utf8'));
    }
  }
  const v2 = c.extension(OID_ISSUER_V2);
  const issuer = v2 ? v2.valueObj.subs[0]?.value.toString('utf8') : c.extension(OID_ISSUER_V1)?.value.toString('utf8');
  return {
    der: Buffer.from(c.root.toDER()),
    sans,
    issuer,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
  };
}

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const parts: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  return parts.join(':');
}

/** sigstore-js error codes → scrydon's, one code per kind of failure. */
function mapError(e: unknown, entity: SignedEntity, where: string): ScrydonError {
  if (e instanceof ScrydonError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (!(e instanceof VerificationError))
    return new ScrydonError('signature_invalid', `${where}: verification failed: ${msg}`, { cause: e });
  switch (e.code) {
    case 'SIGNATURE_ERROR':
      return new ScrydonError(
        'signature_invalid',
        `${where}: the signature does not verify over the payload (tampered, or another key signed it)`,
        { cause: e },
      );
    case 'TLOG_BODY_ERROR':
      return new ScrydonError(
        'tlog_mismatch',
        `${where}: the transparency log entry does not record this signature (${msg})`,
        { cause: e },
      );
    case 'TLOG_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return new ScrydonError(
        'tlog_invalid',
        `${where}: the transparency log evidence does not verify against the trusted root (${msg})`,
        { cause: e },
      );
    case 'CERTIFICATE_ERROR':
      return certificateError(e, entity, where);
    case 'PUBLIC_KEY_ERROR':
      return new ScrydonError('key_mismatch', `${where}: ${msg}`, { cause: e });
    case 'TIMESTAMP_ERROR':
      return new ScrydonError(
        'timestamp_invalid',
        `${where}: a timestamp does not verify against the trusted root (${msg})`,
        { cause: e },
      );
    case 'NOT_IMPLEMENTED_ERROR':
      return new ScrydonError('signature_unsupported', `${where}: ${msg}`, { cause: e });
  }
}

/** A chain failure is "expired" when the leaf itself was not valid at a signing time, "untrusted" otherwise. */
function certificateError(e: VerificationError, entity: SignedEntity, where: string): ScrydonError {
  const times = verifiedTimes(entity).map((t) => new Date(t));
  if (entity.key.$case === 'certificate') {
    const leaf = entity.key.certificate;
    const bad = times.find((t) => t < leaf.notBefore || t > leaf.notAfter);
    if (bad) {
      return new ScrydonError(
        'certificate_expired',
        `${where}: the signing certificate (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}) was not valid at the signing time ${bad.toISOString()}`,
        { cause: e },
      );
    }
  }
  if (/^expected \d+ SCTs, got 0$/.test(e.message))
    return new ScrydonError(
      'certificate_untrusted',
      `${where}: the signing certificate carries no SCT, and the trusted root lists CT logs, so one is required`,
      { cause: e, hint: "import the trusted root of the instance that issued it (GitHub's own has no CT logs)" },
    );
  return new ScrydonError(
    'certificate_untrusted',
    `${where}: the signing certificate does not chain to a certificate authority of the trusted root at the signing time, or lacks a valid SCT (${e.message})`,
    { cause: e },
  );
}
