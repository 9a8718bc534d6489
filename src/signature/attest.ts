import type { IoOptions, Target } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { descriptorOf } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { encodeEnvelope, preAuthEncoding } from './dsse-envelope.js';
import { attestationStatement } from './intoto.js';
import { signData, type SigningKey } from './keys.js';
import type { LegacyLayer } from './legacy-format.js';
import { writeBundleReferrer, writeLegacyLayer } from './sign.js';

interface AttestOptions extends IoOptions {
  predicateType: string;
  /** The predicate, already parsed (JSON). */
  predicate: unknown;
  /** Write cosign's legacy `sha256-<hex>.att` tag instead of a bundle referrer. */
  legacy?: boolean;
  /** The reference this target keeps a digest's `.att` tag under. */
  legacyTagRef: (subject: Descriptor) => string;
  /** The bundle referrer's `org.opencontainers.image.created` (default now). */
  created?: string;
}

interface AttestResult {
  digest: string;
  format: 'bundle' | 'legacy';
  predicateType: string;
  /** The attestation manifest written. */
  attestation: string;
  tag?: string;
}

/**
 * Attests `subject` with `key`: an in-toto v1 statement of `predicateType` in a DSSE envelope, written as cosign 3
 * and GitHub's attest actions write it (a Sigstore bundle v0.3 referrer), or with `legacy` as cosign's `.att` tag
 * (a DSSE layer appended to the image under `sha256-<hex>.att`).
 */
export async function attestArtifact(
  target: Target,
  subject: Descriptor,
  key: SigningKey,
  o: AttestOptions,
): Promise<AttestResult> {
  const statement = attestationStatement(subject.digest, o.predicateType, o.predicate);
  const base = { digest: subject.digest, predicateType: o.predicateType };
  if (!o.legacy) {
    const m = await writeBundleReferrer(target, subject, statement, o.predicateType, key, o);
    return { ...base, format: 'bundle', attestation: m.digest };
  }
  const envelope = encodeEnvelope({
    payloadType: MediaType.inTotoPayload,
    payload: statement,
    signatures: [{ sig: signData(key, preAuthEncoding(MediaType.inTotoPayload, statement)), keyid: '' }],
  });
  const layer: LegacyLayer = {
    payload: descriptorOf(MediaType.dsseEnvelope, envelope),
    signature: '',
    predicateType: o.predicateType,
  };
  const ref = o.legacyTagRef(subject);
  const m = await writeLegacyLayer(target, subject, layer, envelope, ref, o);
  return { ...base, format: 'legacy', attestation: m.digest, tag: ref };
}
