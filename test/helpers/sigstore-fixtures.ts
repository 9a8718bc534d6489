/**
 * An in-process Sigstore: a fake Fulcio CA with a CT log, a Rekor log and a TSA (@sigstore/mock), real
 * cryptography, no network. `trustedRoot` is assembled the way a real `trusted_root.json` looks and is
 * meant to be written to a file and read back through scrydon's own code.
 */
import { createHash, generateKeyPairSync, randomInt, sign, type KeyObject } from 'node:crypto';
import { initializeCA, initializeCTLog, initializeTLog, initializeTSA } from '@sigstore/mock';
import { Readable } from 'node:stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { Store } from '../../src/store/store-target.js';

export const ISSUER = 'https://token.actions.githubusercontent.com';
export const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1';
/** The command-line flags naming IDENTITY and ISSUER as the keyless signer. */
export const KEYLESS_FLAGS = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER] as const;
const REKOR_URL = 'https://rekor.local';

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
type CA = Awaited<ReturnType<typeof initializeCA>>;
type TSA = Awaited<ReturnType<typeof initializeTSA>>;

function ecPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function b64(b: ArrayBufferView): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function sha256(b: Buffer): Buffer {
  return createHash('sha256').update(b).digest();
}

function pem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** A Rekor v1 entry as the mock's log() returns it (the value under the entry's UUID). */
export interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    signedEntryTimestamp: string;
    inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
  };
}

/** A keyless signer: an ephemeral P-256 key and its Fulcio-style certificate. */
export interface KeylessSigner {
  privateKey: KeyObject;
  certDer: Buffer;
  certPem: string;
  rootPem: string;
}

export interface FakeSigstore {
  /** trusted_root.json content (protobuf-specs JSON). */
  trustedRoot: Record<string, unknown>;
  /** A certificate for `san`, with Fulcio's issuer extensions and `extra` ones (GitHub workflow claims, …). */
  issue(san?: string, issuer?: string, extra?: ReadonlyArray<{ oid: string; value: string }>): Promise<KeylessSigner>;
  /** Logs a canonical body; `clockOffsetMs` moves the integrated time (relative to now + 5 s). */
  log(body: object, clockOffsetMs?: number): Promise<RekorEntry>;
  /** An RFC 3161 timestamp response over the raw signature bytes; `clockOffsetMs` moves its time (from now + 1 s). */
  timestamp(signature: Buffer, clockOffsetMs?: number): Promise<Buffer>;
}

/**
 * `github`: the shape of GitHub's Sigstore instance for private repositories (actions/toolkit
 * packages/attest/src/endpoints.ts: fulcio.githubapp.com and timestamp.githubapp.com, no Rekor): a Fulcio CA with no
 * CT log (its certificates carry no SCT) and a trusted root with a CA and a TSA and no tlogs or ctlogs, as
 * `gh attestation trusted-root` prints GitHub's.
 */
interface FakeSigstoreOptions {
  github?: boolean;
}

export async function fakeSigstore(o: FakeSigstoreOptions = {}): Promise<FakeSigstore> {
  const start = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const ctKeys = ecPair();
  const ctlog = await initializeCTLog(ctKeys);
  const caKeys = ecPair();
  const ca: CA = await initializeCA(caKeys, o.github ? undefined : ctlog);
  const tlogKeys = ecPair();
  const tlogSpki = tlogKeys.publicKey.export({ format: 'der', type: 'spki' });
  // the mock reads this Date at every timestamp: whole seconds, since @sigstore/core parses only 3-digit
  // fractions and pkijs trims trailing zeros (a .120 s time would not parse)
  const tsaClock = new Date(Math.ceil(Date.now() / 1000) * 1000);
  const tsa: TSA = await initializeTSA(ecPair(), tsaClock);
  const rootDer = Buffer.from(ca.rootCertificate.buffer, ca.rootCertificate.byteOffset, ca.rootCertificate.byteLength);
  const publicGood = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: REKOR_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: tlogSpki.toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: sha256(tlogSpki).toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: o.github
          ? { organization: 'GitHub, Inc.', commonName: 'Internal Services Root' }
          : { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: o.github ? 'fulcio.githubapp.com' : 'https://fulcio.local',
        certChain: { certificates: [{ rawBytes: rootDer.toString('base64') }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.local',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: o.github
          ? { organization: 'GitHub, Inc.', commonName: 'Internal Services Root' }
          : { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: o.github ? 'timestamp.githubapp.com' : 'https://tsa.local',
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };
  const trustedRoot = o.github ? { ...publicGood, tlogs: [], ctlogs: [] } : publicGood;
  return {
    trustedRoot,
    async issue(san = IDENTITY, issuer = ISSUER, extra = []) {
      const { privateKey, publicKey } = ecPair();
      const cert = await ca.issueCertificate({
        publicKey: publicKey.export({ format: 'der', type: 'spki' }),
        subjectAltName: san,
        extensions: [
          { oid: '1.3.6.1.4.1.57264.1.1', value: issuer, legacy: true },
          { oid: '1.3.6.1.4.1.57264.1.8', value: issuer },
          ...extra,
        ],
      });
      const certDer = Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength);
      return { privateKey, certDer, certPem: pem('CERTIFICATE', certDer), rootPem: pem('CERTIFICATE', rootDer) };
    },
    async log(body, clockOffsetMs = 0) {
      const tlog = await initializeTLog(REKOR_URL, tlogKeys, new Date(Date.now() + 5000 + clockOffsetMs));
      const res = (await tlog.log(body)) as unknown as Record<string, RekorEntry>;
      return Object.values(res)[0] as RekorEntry;
    },
    async timestamp(signature, clockOffsetMs = 0) {
      tsaClock.setTime(Math.ceil((Date.now() + clockOffsetMs) / 1000) * 1000 + 1000);
      const der = await tsa.timestamp({
        artifactHash: sha256(signature),
        hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
        nonce: randomInt(1_000_000),
        policyOID: '1.2.3.4',
        certReq: true,
      });
      return Buffer.from(der.buffer, der.byteOffset, der.byteLength);
    },
  };
}

export interface EvidenceOptions {
  tlog?: boolean;
  tsa?: boolean;
  clockOffsetMs?: number;
  /** The Sigstore whose TSA stamps the signature (default: the one that issued the certificate). */
  tsaOf?: FakeSigstore;
  /** Moves the TSA's time (from now + 1 s). */
  tsaClockOffsetMs?: number;
}

/** The annotations of a keyless legacy simple-signing layer over `payload`, as cosign writes them. */
export async function keylessLegacyAnnotations(
  s: FakeSigstore,
  signer: KeylessSigner,
  payload: Buffer,
  o: EvidenceOptions = {},
): Promise<{ signature: string; certificate: string; chain: string; bundle?: string; rfc3161timestamp?: string }> {
  const sig = sign('sha256', payload, signer.privateKey);
  const out: { signature: string; certificate: string; chain: string; bundle?: string; rfc3161timestamp?: string } = {
    signature: sig.toString('base64'),
    certificate: signer.certPem,
    chain: signer.rootPem,
  };
  if (o.tlog ?? true) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } },
        signature: {
          content: sig.toString('base64'),
          publicKey: { content: Buffer.from(signer.certPem).toString('base64') },
        },
      },
    };
    const e = await s.log(body, o.clockOffsetMs);
    out.bundle = JSON.stringify({
      SignedEntryTimestamp: e.verification.signedEntryTimestamp,
      Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID },
    });
  }
  if (o.tsa)
    out.rfc3161timestamp = JSON.stringify({ SignedRFC3161Timestamp: (await s.timestamp(sig)).toString('base64') });
  return out;
}

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
export function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.byteLength} `), body]);
}

/** A keyless Sigstore bundle v0.3 (DSSE around `statement`), as cosign 3 writes with Fulcio and Rekor v1. */
export async function keylessBundle(
  s: FakeSigstore,
  signer: KeylessSigner,
  statement: Buffer,
  o: EvidenceOptions = {},
): Promise<Buffer> {
  const type = MediaType.inTotoPayload;
  const sig = sign('sha256', pae(type, statement), signer.privateKey);
  const envelope = {
    payload: statement.toString('base64'),
    payloadType: type,
    signatures: [{ sig: sig.toString('base64'), keyid: '' }],
  };
  const tlogEntries: unknown[] = [];
  if (o.tlog ?? true) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(JSON.stringify(envelope))).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(statement).toString('hex') },
        signatures: [{ signature: sig.toString('base64'), verifier: Buffer.from(signer.certPem).toString('base64') }],
      },
    };
    const e = await s.log(body, o.clockOffsetMs);
    const p = e.verification.inclusionProof;
    tlogEntries.push({
      logIndex: String(e.logIndex),
      logId: { keyId: Buffer.from(e.logID, 'hex').toString('base64') },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(e.integratedTime),
      inclusionPromise: { signedEntryTimestamp: e.verification.signedEntryTimestamp },
      inclusionProof: {
        logIndex: String(p.logIndex),
        rootHash: Buffer.from(p.rootHash, 'hex').toString('base64'),
        treeSize: String(p.treeSize),
        hashes: p.hashes,
        checkpoint: { envelope: p.checkpoint },
      },
      canonicalizedBody: e.body,
    });
  }
  const vm: Record<string, unknown> = { certificate: { rawBytes: signer.certDer.toString('base64') }, tlogEntries };
  if (o.tsa) {
    const stamp = await (o.tsaOf ?? s).timestamp(sig, o.tsaClockOffsetMs);
    vm.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: stamp.toString('base64') }] };
  }
  return Buffer.from(
    JSON.stringify({ mediaType: MediaType.sigstoreBundleV03, verificationMaterial: vm, dsseEnvelope: envelope }),
  );
}

/** Stores a tiny artifact under `ref` in the store at `catalog`, signed keylessly (bundle referrer) by `san`. */
export async function storeKeylessArtifact(
  catalog: string,
  s: FakeSigstore,
  ref: string,
  san = IDENTITY,
): Promise<Descriptor> {
  const store = await Store.open(catalog);
  const put = async (d: Descriptor, b: Buffer): Promise<void> => {
    if (!(await store.exists(d))) await store.push(d, Readable.from([b]));
  };
  const bytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: 'application/vnd.scrydon.test.v1',
    config: descriptorOf(MediaType.ociEmpty, EMPTY_JSON),
    layers: [descriptorOf(MediaType.ociEmpty, EMPTY_JSON)],
  });
  const subject = descriptorOf(MediaType.ociManifest, bytes);
  await put(descriptorOf(MediaType.ociEmpty, EMPTY_JSON), EMPTY_JSON);
  await put(subject, bytes);
  await store.tag(subject, ref);
  const r = bundleReferrer(
    subject,
    await keylessBundle(s, await s.issue(san), signStatement(subject.digest)),
    COSIGN_SIGN_PREDICATE,
    '2026-01-01T00:00:00Z',
  );
  for (const p of [r.config, r.layer, r.manifest]) await put(p.descriptor, p.bytes);
  return subject;
}
