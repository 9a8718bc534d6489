import { X509Certificate } from 'node:crypto';
import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { findSignatures, readBlob } from './discover.js';
import { parseEnvelope } from './dsse-envelope.js';
import { fulcioClaims } from './fulcio-extensions.js';
import { subjectDigests } from './intoto.js';
import { hintFingerprint } from './keys.js';

/** What an attestation claims, read without verifying it (`inspect`): `scrydon verify-attestation` judges it. */
export interface ListedAttestation {
  format: 'bundle' | 'legacy';
  attestation: string;
  foundAs: string;
  predicateType: string | null;
  subjects: string[];
  /** `key sha256:…` (the bundle's key hint), `<SAN> (issuer …)`, or null when the attestation names no signer. */
  signer: string | null;
  verified: false;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function statementFacts(payload: Buffer): { predicateType: string | null; subjects: string[] } {
  try {
    const st = JSON.parse(payload.toString('utf8')) as unknown;
    if (!isRecord(st)) return { predicateType: null, subjects: [] };
    return {
      predicateType: typeof st.predicateType === 'string' ? st.predicateType : null,
      subjects: Array.isArray(st.subject) ? subjectDigests(st.subject) : [],
    };
  } catch {
    return { predicateType: null, subjects: [] };
  }
}

function certificateSigner(cert: string | Buffer, where: string): string | null {
  try {
    const c = new X509Certificate(cert);
    const san = (c.subjectAltName ?? '').replace(/^[A-Za-z ]+:/, '').split(/, [A-Za-z ]+:/)[0] ?? '';
    const issuer = fulcioClaims(c.raw, where).issuer;
    return `${san}${issuer ? ` (issuer ${issuer})` : ''}`;
  } catch {
    return null;
  }
}

function bundleFacts(
  bytes: Buffer,
  where: string,
): Omit<ListedAttestation, 'format' | 'attestation' | 'foundAs' | 'verified'> {
  let b: unknown;
  try {
    b = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { predicateType: null, subjects: [], signer: null };
  }
  const env = isRecord(b) && isRecord(b.dsseEnvelope) ? b.dsseEnvelope : undefined;
  const facts =
    env && typeof env.payload === 'string'
      ? statementFacts(Buffer.from(env.payload, 'base64'))
      : { predicateType: null, subjects: [] };
  const vm = isRecord(b) && isRecord(b.verificationMaterial) ? b.verificationMaterial : {};
  const hint = isRecord(vm.publicKey) && typeof vm.publicKey.hint === 'string' ? vm.publicKey.hint : undefined;
  const chain = isRecord(vm.x509CertificateChain) ? vm.x509CertificateChain.certificates : undefined;
  const first = Array.isArray(chain) ? (chain[0] as unknown) : undefined;
  const raw = isRecord(vm.certificate) ? vm.certificate.rawBytes : isRecord(first) ? first.rawBytes : undefined;
  const signer = hint
    ? `key ${hintFingerprint(hint)}`
    : typeof raw === 'string'
      ? certificateSigner(Buffer.from(raw, 'base64'), where)
      : null;
  return { ...facts, signer };
}

/** Every attestation stored for `subject` (bundle referrers other than signatures, and `.att` layers), unverified. */
export async function listAttestations(
  target: ReadOnlyTarget,
  subject: Descriptor,
  attRefs: readonly string[],
  signaturePredicate: string,
  o: IoOptions = {},
): Promise<ListedAttestation[]> {
  const found = await findSignatures(target, subject, attRefs, o, MediaType.dsseEnvelope);
  const out: ListedAttestation[] = [];
  for (const b of found.bundles) {
    const facts = bundleFacts(b.bytes, `attestation ${b.manifest.digest}`);
    if ((facts.predicateType ?? b.predicateType) === signaturePredicate) continue;
    out.push({ format: 'bundle', attestation: b.manifest.digest, foundAs: 'referrer', ...facts, verified: false });
  }
  for (const l of found.legacy) {
    for (const layer of l.layers) {
      const where = `${l.foundAs} (${l.manifest.digest})`;
      let facts: { predicateType: string | null; subjects: string[] } = { predicateType: null, subjects: [] };
      try {
        facts = statementFacts(
          parseEnvelope(await readBlob(target, layer.payload, 16 * 1024 * 1024, o), where).payload,
        );
      } catch {
        /* listed with what its annotations say */
      }
      out.push({
        format: 'legacy',
        attestation: l.manifest.digest,
        foundAs: l.foundAs,
        predicateType: facts.predicateType ?? layer.predicateType ?? null,
        subjects: facts.subjects,
        signer: layer.certificate ? certificateSigner(layer.certificate, where) : null,
        verified: false,
      });
    }
  }
  return out;
}
