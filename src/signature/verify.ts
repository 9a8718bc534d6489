import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { isScrydonError, ScrydonError } from '../errors.js';
import { runAttempts } from './attempts.js';
import type { Descriptor } from '../oci/descriptor.js';
import { findSignatures, readBlob, type BundleCandidate, type LegacyCandidate } from './discover.js';
import { matchIdentity, type IdentityRequirement } from './identity.js';
import { checkStatement, COSIGN_SIGN_PREDICATE } from './intoto.js';
import { hintFingerprint, keyHint, type PublicKeyInfo } from './keys.js';
import { legacyParts } from './legacy-parts.js';
import { parseBundle, verifyBundle, type VerifiedEvidence, type VerifyInput } from './sigstore-adapter.js';
import { verifyLegacy } from './sigstore-legacy.js';
import type { TrustRoot } from './sigstore-trust-root.js';
import { checkSimpleSigningClaim, parseSimpleSigning } from './simple-signing.js';

export type VerifyRequirement =
  { kind: 'key'; key: PublicKeyInfo } | { kind: 'keyless'; identity: IdentityRequirement };

export interface LoadedTrust {
  root: TrustRoot;
  /** `sha256:<hex>` of the trusted_root.json bytes. */
  digest: string;
}

interface VerifyOptions extends IoOptions {
  requirement: VerifyRequirement;
  trust?: LoadedTrust | undefined;
  /** `-a key=value` the claim must carry. */
  annotations?: Readonly<Record<string, string>>;
  /** Required in-toto predicate type of bundle signatures (default cosign's sign predicate). */
  predicateType?: string;
  /** Where this target keeps the digest's legacy `.sig` tags. */
  legacyRefs: readonly string[];
}

export type Signer =
  | { kind: 'key'; fingerprint: string; algorithm: string }
  | {
      kind: 'certificate';
      identity: string;
      subjectAlternativeNames: string[];
      issuer: string;
      notBefore: string;
      notAfter: string;
    };

export interface VerifiedSignature {
  format: 'bundle' | 'legacy';
  /** The signature manifest. */
  signature: string;
  /** `referrer`, or the `.sig` tag it was found under. */
  foundAs: string;
  signer: Signer;
  /** Verified signing times (log integrated time, TSA time). */
  signedAt: string[];
  transparencyLog: { entries: number; checked: boolean };
  tsaTimestamps: number;
}

export interface VerifyResult {
  digest: string;
  mediaType: string;
  verified: VerifiedSignature[];
  trustRoot: string | undefined;
}

export function signerOf(ev: VerifiedEvidence, req: VerifyRequirement, where: string): Signer {
  if (req.kind === 'key') return { kind: 'key', fingerprint: req.key.fingerprint, algorithm: ev.algorithm };
  const c = ev.certificate;
  if (!c) throw new ScrydonError('key_mismatch', `${where}: no signing certificate`);
  const identity = matchIdentity(c.sans, c.issuer, req.identity, where);
  return {
    kind: 'certificate',
    identity,
    subjectAlternativeNames: c.sans,
    issuer: c.issuer ?? '',
    notBefore: c.notBefore,
    notAfter: c.notAfter,
  };
}

export function input(o: Pick<VerifyOptions, 'requirement' | 'trust'>, where: string): VerifyInput {
  return {
    mode: o.requirement.kind === 'key' ? { kind: 'key', key: o.requirement.key } : { kind: 'keyless' },
    trust: o.trust?.root,
    where,
  };
}

function summary(
  format: VerifiedSignature['format'],
  manifest: Descriptor,
  foundAs: string,
  ev: VerifiedEvidence,
  signer: Signer,
): VerifiedSignature {
  return {
    format,
    signature: manifest.digest,
    foundAs,
    signer,
    signedAt: ev.times,
    transparencyLog: { entries: ev.tlogEntries, checked: !ev.tlogUnchecked },
    tsaTimestamps: ev.tsaTimestamps,
  };
}

/** A bundle's signature verified; with --key, a failure whose key hint names another key is the wrong key. */
export function verifyBundleEvidence(
  p: ReturnType<typeof parseBundle>,
  o: Pick<VerifyOptions, 'requirement' | 'trust'>,
  where: string,
): VerifiedEvidence {
  try {
    return verifyBundle(p, input(o, where));
  } catch (e) {
    // a signature that fails and whose key hint names another key: the wrong key, not a tampered payload
    if (
      o.requirement.kind === 'key' &&
      p.keyHint &&
      p.keyHint !== keyHint(o.requirement.key.key) &&
      isScrydonError(e, 'signature_invalid')
    ) {
      throw new ScrydonError(
        'key_mismatch',
        `${where}: signed by another key (${hintFingerprint(p.keyHint)}) than ${o.requirement.key.fingerprint}`,
        { cause: e },
      );
    }
    throw e;
  }
}

function verifyOneBundle(c: BundleCandidate, subject: Descriptor, o: VerifyOptions): VerifiedSignature {
  const where = `bundle ${c.manifest.digest}`;
  const p = parseBundle(c.bytes, where);
  const ev = verifyBundleEvidence(p, o, where);
  checkStatement(
    p.payloadType,
    p.payload,
    {
      digest: subject.digest,
      predicateType: o.predicateType ?? COSIGN_SIGN_PREDICATE,
      annotations: o.annotations ?? {},
    },
    where,
  );
  return summary('bundle', c.manifest, 'referrer', ev, signerOf(ev, o.requirement, where));
}

async function verifyOneLegacy(
  target: ReadOnlyTarget,
  c: LegacyCandidate,
  i: number,
  subject: Descriptor,
  o: VerifyOptions,
): Promise<VerifiedSignature> {
  const layer = c.layers[i] as LegacyCandidate['layers'][number];
  const where = `${c.foundAs === 'referrer' ? 'referrer' : c.foundAs} (${c.manifest.digest}) layer ${i}`;
  const payload = await readBlob(target, layer.payload, 1024 * 1024, o);
  const ev = verifyLegacy(legacyParts(layer, payload, where), input(o, where));
  checkSimpleSigningClaim(parseSimpleSigning(payload, where), subject.digest, o.annotations ?? {}, where);
  return summary('legacy', c.manifest, c.foundAs, ev, signerOf(ev, o.requirement, where));
}

/**
 * Verifies the signatures of `subject` stored on `target`, as cosign does, offline. Bundle referrers are the
 * format of record; the legacy `.sig` format is read only when no bundle signature is stored (never as a
 * second chance after a bundle failed). One valid signature suffices; each is verified once.
 */
export async function verifySignatures(
  target: ReadOnlyTarget,
  subject: Descriptor,
  o: VerifyOptions,
): Promise<VerifyResult> {
  const found = await findSignatures(target, subject, o.legacyRefs, o);
  const predicate = o.predicateType ?? COSIGN_SIGN_PREDICATE;
  // attestations of other predicates (SBOMs, provenance) are referrers too, but not signatures
  const bundles = found.bundles.filter((b) => b.predicateType === undefined || b.predicateType === predicate);
  // each bundle, and each layer of a .sig manifest, is one signature: verified once, one success suffices
  const attempts: Array<() => Promise<VerifiedSignature>> = bundles.length
    ? bundles.map((b) => async () => verifyOneBundle(b, subject, o))
    : found.legacy.flatMap((l) => l.layers.map((_, i) => () => verifyOneLegacy(target, l, i, subject, o)));
  const { passed: verified, failures } = await runAttempts(attempts);
  if (verified.length)
    return { digest: subject.digest, mediaType: subject.mediaType, verified, trustRoot: o.trust?.digest };
  if (failures.length) throw failures[0];
  throw new ScrydonError(
    'signature_not_found',
    `no signature of ${subject.digest} is stored in ${target.name} (looked for bundle referrers and cosign .sig tags)`,
    {
      hint: 'sign it with scrydon sign, or pull/load it together with its signatures',
    },
  );
}
