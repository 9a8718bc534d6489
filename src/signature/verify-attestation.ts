import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { runAttempts } from './attempts.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { checkCertificateClaims, checkPredicate, type AttestationRules } from './attestation-rules.js';
import { findSignatures, readBlob, type BundleCandidate, type LegacyCandidate } from './discover.js';
import { parseEnvelope, preAuthEncoding } from './dsse-envelope.js';
import { sha256 } from './evidence.js';
import { fulcioClaims, type FulcioClaims } from './fulcio-extensions.js';
import { checkStatement } from './intoto.js';
import { legacyParts } from './legacy-parts.js';
import { parseBundle, type VerifiedEvidence } from './sigstore-adapter.js';
import { verifyLegacy } from './sigstore-legacy.js';
import {
  input,
  signerOf,
  verifyBundleEvidence,
  type LoadedTrust,
  type Signer,
  type VerifyRequirement,
} from './verify.js';

interface AttestationVerifyOptions extends IoOptions {
  requirement: VerifyRequirement;
  trust?: LoadedTrust | undefined;
  /** The predicate type the statement must carry (an attestation of another type never counts). */
  predicateType: string;
  rules: AttestationRules;
  /** Where this target keeps the digest's legacy `.att` tags. */
  legacyRefs: readonly string[];
  /** Only this attestation manifest counts (a reconcile lock's pin): another that would pass is not looked at. */
  attestation?: string | undefined;
}

export interface VerifiedAttestation {
  format: 'bundle' | 'legacy';
  /** The attestation manifest. */
  attestation: string;
  /** `referrer`, or the `.att` tag it was found under. */
  foundAs: string;
  predicateType: string;
  /** The digests the statement names as its subjects. */
  subjects: string[];
  signer: Signer;
  /** The Fulcio claims of a keyless signer's certificate. */
  certificate?: FulcioClaims;
  signedAt: string[];
  transparencyLog: { entries: number; checked: boolean };
  /** RFC 3161 timestamps verified against the trusted root's timestamp authorities. */
  tsaTimestamps: number;
  /** What the rules checked: certificate claims by name, predicate fields by path. */
  checked: { certificate: string[]; predicate: string[] };
}

export interface AttestationVerifyResult {
  digest: string;
  mediaType: string;
  predicateType: string;
  verified: VerifiedAttestation[];
  trustRoot: string | undefined;
}

/** Envelopes are a few KiB; an SBOM predicate can be a few MiB. */
const MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;

function judged(
  format: VerifiedAttestation['format'],
  manifest: Descriptor,
  foundAs: string,
  ev: VerifiedEvidence,
  statement: { payloadType: string; payload: Buffer },
  subject: Descriptor,
  o: AttestationVerifyOptions,
  where: string,
): VerifiedAttestation {
  const claim = checkStatement(
    statement.payloadType,
    statement.payload,
    { digest: subject.digest, predicateType: o.predicateType, annotations: {} },
    where,
  );
  const signer = signerOf(ev, o.requirement, where);
  const certificate = ev.certificate ? fulcioClaims(ev.certificate.der, where) : undefined;
  checkCertificateClaims(certificate, o.rules, where);
  checkPredicate(claim.predicate, o.rules, where);
  return {
    format,
    attestation: manifest.digest,
    foundAs,
    predicateType: claim.predicateType,
    subjects: claim.subjects,
    signer,
    ...(certificate ? { certificate } : {}),
    signedAt: ev.times,
    transparencyLog: { entries: ev.tlogEntries, checked: !ev.tlogUnchecked },
    tsaTimestamps: ev.tsaTimestamps,
    checked: { certificate: Object.keys(o.rules.certificate), predicate: o.rules.predicate.map((r) => r.path) },
  };
}

function verifyOneBundle(c: BundleCandidate, subject: Descriptor, o: AttestationVerifyOptions): VerifiedAttestation {
  const where = `attestation ${c.manifest.digest}`;
  const p = parseBundle(c.bytes, where);
  const ev = verifyBundleEvidence(p, o, where);
  return judged('bundle', c.manifest, 'referrer', ev, p, subject, o, where);
}

async function verifyOneLegacy(
  target: ReadOnlyTarget,
  c: LegacyCandidate,
  i: number,
  subject: Descriptor,
  o: AttestationVerifyOptions,
): Promise<VerifiedAttestation> {
  const layer = c.layers[i] as LegacyCandidate['layers'][number];
  const where = `${c.foundAs} (${c.manifest.digest}) layer ${i}`;
  const envelope = parseEnvelope(await readBlob(target, layer.payload, MAX_ENVELOPE_BYTES, o), where);
  const sig = envelope.signatures[0];
  if (!sig || envelope.signatures.length !== 1)
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: the DSSE envelope has ${envelope.signatures.length} signatures; one is supported`,
    );
  // the DSSE signature is over the pre-authentication encoding of the statement
  const signed = preAuthEncoding(envelope.payloadType, envelope.payload);
  // a log entry of the attestation (Rekor `dsse`) records the statement's hash, not the PAE's
  const ev = verifyLegacy(
    { ...legacyParts(layer, signed, where), signature: sig.sig, payloadDigest: sha256(envelope.payload) },
    input(o, where),
  );
  return judged('legacy', c.manifest, c.foundAs, ev, envelope, subject, o, where);
}

/** The predicate types the candidates claim (their annotations), for a message naming what is there instead. */
function claimedTypes(bundles: readonly BundleCandidate[], legacy: readonly LegacyCandidate[]): string[] {
  const types = [
    ...bundles.map((b) => b.predicateType ?? '(unannotated)'),
    ...legacy.flatMap((l) => l.layers.map((x) => x.predicateType ?? '(unannotated)')),
  ];
  return [...new Set(types)];
}

/**
 * Verifies the attestations of `subject` of one predicate type, offline: bundle referrers (cosign 3, GitHub's attest
 * actions) and cosign's legacy `.att` layers. A candidate is chosen by the predicate type it claims, then judged by
 * what it signed: the signature (key, or certificate at the signing time against the trusted root), the statement's
 * predicate type and subject digest, the certificate's Fulcio claims and the predicate's fields. One attestation that
 * passes everything suffices; with `o.attestation`, it must be that one.
 */
export async function verifyAttestations(
  target: ReadOnlyTarget,
  subject: Descriptor,
  o: AttestationVerifyOptions,
): Promise<AttestationVerifyResult> {
  const found = await findSignatures(target, subject, o.legacyRefs, o, MediaType.dsseEnvelope);
  const pinned = (m: Descriptor) => o.attestation === undefined || m.digest === o.attestation;
  // cosign's own sign predicate marks signatures, never attestations
  const bundles = found.bundles.filter(
    (b) => pinned(b.manifest) && (b.predicateType === undefined || b.predicateType === o.predicateType),
  );
  const attempts: Array<() => Promise<VerifiedAttestation>> = [
    ...bundles.map((b) => async () => verifyOneBundle(b, subject, o)),
    ...found.legacy
      .filter((l) => pinned(l.manifest))
      .flatMap((l) =>
        l.layers.flatMap((x, i) =>
          x.predicateType === undefined || x.predicateType === o.predicateType
            ? [() => verifyOneLegacy(target, l, i, subject, o)]
            : [],
        ),
      ),
  ];
  const { passed: verified, failures } = await runAttempts(attempts);
  if (verified.length)
    return {
      digest: subject.digest,
      mediaType: subject.mediaType,
      predicateType: o.predicateType,
      verified,
      trustRoot: o.trust?.digest,
    };
  if (failures.length) throw failures[0];
  const others = claimedTypes(found.bundles, found.legacy);
  if (o.attestation !== undefined)
    throw new ScrydonError(
      'attestation_not_found',
      `attestation ${o.attestation} (of predicate type ${o.predicateType}) for ${subject.digest} is not stored in ${target.name}`,
      { hint: 'pull or load the artifact together with that attestation' },
    );
  throw new ScrydonError(
    'attestation_not_found',
    `no attestation of predicate type ${o.predicateType} for ${subject.digest} is stored in ${target.name}${others.length ? ` (found only: ${others.join(', ')})` : ''}`,
    { hint: 'attest it with scrydon attest, or pull/load it together with its attestations' },
  );
}
