/**
 * Interoperability with what each cosign version and containers/image write and check (catalog-spec/signatures.md,
 * "Hash algorithms"): real signatures from containers/image's test data, cosign's own P-384/P-521 test-vector keys
 * signing as each version signs, and what scrydon signs checked the way `cosign verify --key` checks it.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/media-types.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { keyHint, parsePrivateKey, parsePublicKey, type PublicKeyInfo } from '../../src/signature/keys.js';
import { storeLegacyRefs } from '../../src/signature/locations.js';
import { signArtifact } from '../../src/signature/sign.js';
import { verifySignatures, type VerifyResult } from '../../src/signature/verify.js';
import type { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import {
  INTEROP,
  newestSignature,
  readContainersImageSignature,
  storeContainersImageFixture,
  storeKeySigned,
} from '../helpers/cosign-fixtures.js';
import { pae } from '../helpers/sigstore-fixtures.js';
import { storeLegacyRef } from '../../src/names/store.js';

after(cleanupTemps);

const CERT = 'dev.sigstore.cosign/certificate';

async function catalog(): Promise<string> {
  return join(await tempDir(), 'catalog');
}

async function pub(path: string): Promise<PublicKeyInfo> {
  return parsePublicKey(await readFile(path, 'utf8'), path);
}

async function verifyWith(store: Store, subject: Descriptor, key: PublicKeyInfo): Promise<VerifyResult> {
  return verifySignatures(store, subject, {
    requirement: { kind: 'key', key },
    legacyRefs: await storeLegacyRefs(store, subject),
  });
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isScrydonError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** The certificate a containers/image fixture's `.sig` layer carries, as the PEM a user would pass to --key. */
async function fixtureCertificate(dir: string): Promise<PublicKeyInfo> {
  const sig = await readContainersImageSignature(join(INTEROP, 'containers-image', dir, 'signature-1'));
  const pem = sig.annotations[CERT];
  assert.ok(pem, `${dir} carries a certificate`);
  return parsePublicKey(pem, `${dir} certificate`);
}

test('containers/image fixtures: cosign key signatures verify with their keys (P-256, with and without a Rekor bundle)', async () => {
  const a = await storeContainersImageFixture(await catalog(), 'dir-img-cosign-valid', 'cosign-signed-single-sample');
  const r = await verifyWith(a.store, a.subject, await pub(join(INTEROP, 'containers-image', 'cosign.pub')));
  assert.equal(r.verified[0]?.format, 'legacy');
  assert.equal(r.verified[0]?.signer.kind === 'key' && r.verified[0].signer.algorithm, 'ecdsa-p256-sha256');

  const b = await storeContainersImageFixture(await catalog(), 'dir-img-cosign-key-rekor-valid', 'cosign-signed/key-1');
  const r2 = await verifyWith(b.store, b.subject, await pub(join(INTEROP, 'containers-image', 'cosign2.pub')));
  assert.equal(r2.verified[0]?.transparencyLog.checked, false, 'no trusted root: the Rekor bundle is not checked');
  await rejects(
    verifyWith(b.store, b.subject, await pub(join(INTEROP, 'containers-image', 'cosign.pub'))),
    'key_mismatch',
  );
});

test('--key given a certificate: a .sig layer that carries a certificate is verified with the given key, as cosign does (RSA-4096 PKI and Fulcio fixtures)', async () => {
  // cosign sign --key rsa.key --certificate … --certificate-chain …: verified with the certificate's key
  const pki = await storeContainersImageFixture(await catalog(), 'dir-img-cosign-pki-valid', 'localhost:5000/test');
  const rsaCert = await fixtureCertificate('dir-img-cosign-pki-valid');
  const r = await verifyWith(pki.store, pki.subject, rsaCert);
  assert.deepEqual(r.verified[0]?.signer, {
    kind: 'key',
    fingerprint: rsaCert.fingerprint,
    algorithm: 'rsa-pkcs1v15-sha256',
  });

  // keyless (a 10-minute Fulcio certificate of 2023): with --key, the key is the trust anchor and the certificate is
  // not used
  const fulcio = await storeContainersImageFixture(
    await catalog(),
    'dir-img-cosign-fulcio-rekor-valid',
    'cosign-signed/fulcio-rekor-1',
  );
  const fulcioCert = await fixtureCertificate('dir-img-cosign-fulcio-rekor-valid');
  const r2 = await verifyWith(fulcio.store, fulcio.subject, fulcioCert);
  assert.equal(r2.verified[0]?.signer.kind, 'key');

  // another key: the signature verifies with the certificate's key only, so the given key is the wrong one
  const other = await pub(join(INTEROP, 'containers-image', 'cosign.pub'));
  await rejects(verifyWith(pki.store, pki.subject, other), 'key_mismatch');
  await rejects(verifyWith(fulcio.store, fulcio.subject, other), 'key_mismatch');
});

// ------------------------------------------------------------------------------------------------ hash algorithms

async function cosignVectorKey(name: 'validecp384.key' | 'validecp521.key'): Promise<KeyObject> {
  return createPrivateKey(await readFile(join(INTEROP, 'cosign', name), 'utf8'));
}

const REPO = 'registry.local/acme/app';

interface Signed {
  store: Store;
  subject: Descriptor;
  catalog: string;
}

/** A legacy signature made with `hash` (storeKeySigned), and where its store is. */
async function legacySigned(priv: KeyObject, hash: string): Promise<Signed> {
  const dir = await catalog();
  return { ...(await storeKeySigned(dir, REPO, priv, hash)), catalog: dir };
}

/** A key bundle whose DSSE signature is over the PAE with `hash`, as cosign 3 signs (SignerVerifierKeypair.SignData). */
async function bundleSigned(priv: KeyObject, hash: string): Promise<Signed> {
  const base = await legacySigned(priv, hash);
  const statement = signStatement(base.subject.digest);
  const sig = sign(hash, pae(MediaType.inTotoPayload, statement), priv);
  const bundle = Buffer.from(
    JSON.stringify({
      mediaType: MediaType.sigstoreBundleV03,
      verificationMaterial: { publicKey: { hint: keyHint(createPublicKey(priv)) } },
      dsseEnvelope: {
        payload: statement.toString('base64'),
        payloadType: MediaType.inTotoPayload,
        signatures: [{ sig: sig.toString('base64') }],
      },
    }),
  );
  const r = bundleReferrer(base.subject, bundle, COSIGN_SIGN_PREDICATE, '2026-01-01T00:00:00Z');
  for (const p of [r.config, r.layer, r.manifest])
    if (!(await base.store.exists(p.descriptor))) await base.store.push(p.descriptor, Readable.from([p.bytes]));
  return base;
}

test("P-384 and P-521: verification accepts SHA-256 (cosign ≤ 2.5, containers/image) and the curve's hash (cosign ≥ 2.6), legacy and bundle; P-256 and RSA stay strict", async () => {
  const p384 = await cosignVectorKey('validecp384.key');
  const p521 = await cosignVectorKey('validecp521.key');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const cases: Array<[string, KeyObject, string, string | undefined]> = [
    ['P-384', p384, 'sha256', 'ecdsa-p384-sha256'],
    ['P-384', p384, 'sha384', 'ecdsa-p384-sha384'],
    ['P-384', p384, 'sha512', undefined],
    ['P-521', p521, 'sha256', 'ecdsa-p521-sha256'],
    ['P-521', p521, 'sha512', 'ecdsa-p521-sha512'],
    ['P-521', p521, 'sha384', undefined],
    ['P-256', p256, 'sha256', 'ecdsa-p256-sha256'],
    ['P-256', p256, 'sha384', undefined],
    ['RSA', rsa, 'sha256', 'rsa-pkcs1v15-sha256'],
    ['RSA', rsa, 'sha512', undefined],
  ];
  for (const [name, priv, hash, algorithm] of cases) {
    const key = parsePublicKey(createPublicKey(priv).export({ format: 'pem', type: 'spki' }).toString(), name);
    for (const [format, make] of [
      ['legacy', legacySigned],
      ['bundle', bundleSigned],
    ] as const) {
      const { store, subject } = await make(priv, hash);
      const what = `${name} ${format} signed with ${hash}`;
      if (algorithm) {
        const r = await verifyWith(store, subject, key);
        assert.equal(r.verified[0]?.format, format, what);
        assert.equal(r.verified[0]?.signer.kind === 'key' && r.verified[0].signer.algorithm, algorithm, what);
      } else {
        await rejects(verifyWith(store, subject, key), 'signature_invalid');
      }
    }
  }
});

test('scrydon signs with P-384 and P-521 keys over SHA-256: what cosign verify --key (all versions, default --signature-digest-algorithm sha256) and containers/image check', async () => {
  for (const [name, own] of [
    ['validecp384.key', 'sha384'],
    ['validecp521.key', 'sha512'],
  ] as const) {
    const pem = await readFile(join(INTEROP, 'cosign', name), 'utf8');
    const key = await parsePrivateKey(pem, undefined, name);
    assert.equal(key.publicKey.algorithm, name === 'validecp384.key' ? 'ecdsa-p384-sha256' : 'ecdsa-p521-sha256');
    const { store, subject, catalog: dir } = await legacySigned(createPrivateKey(pem), 'sha256');
    const opts = { dockerReference: REPO, legacyTagRef: (d: Descriptor) => storeLegacyRef(REPO, d) };
    const results = [
      ...(await signArtifact(store, subject, key, { ...opts, legacy: true })),
      ...(await signArtifact(store, subject, key, opts)),
    ];
    assert.deepEqual(
      results.map((r) => r.format),
      ['legacy', 'bundle'],
    );
    for (const res of results) {
      const { signed, sig } = await newestSignature(dir, res.signature);
      // cosign verify --key: signature.LoadVerifier(pub, crypto.SHA256) → ecdsa.VerifyASN1(pub, sha256(signed), sig)
      assert.equal(verify('sha256', signed, key.publicKey.key, sig), true, `${name} ${res.format}: SHA-256`);
      assert.equal(verify(own, signed, key.publicKey.key, sig), false, `${name} ${res.format}: not ${own}`);
    }
    const r = await verifyWith(store, subject, key.publicKey);
    assert.equal(r.verified[0]?.format, 'bundle');
    assert.equal(r.verified[0]?.signer.kind === 'key' && r.verified[0].signer.algorithm, key.publicKey.algorithm);
  }
});
