import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { signStatement } from '../../src/signature/intoto.js';
import { parsePrivateKey, signData, type SigningKey } from '../../src/signature/keys.js';
import { legacyImage } from '../../src/signature/legacy-format.js';
import { storeLegacyRefs } from '../../src/signature/locations.js';
import { signArtifact, type SignOptions } from '../../src/signature/sign.js';
import { buildKeyDsseBundle } from '../../src/signature/sigstore-adapter.js';
import { simpleSigningPayload } from '../../src/signature/simple-signing.js';
import { verifySignatures, type VerifyResult } from '../../src/signature/verify.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { seedPack } from '../helpers/seed-store.js';
import { storeLegacyRef } from '../../src/names/store.js';

after(cleanupTemps);

async function newKey(curve = 'prime256v1'): Promise<SigningKey> {
  return parsePrivateKey(
    generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    undefined,
    'test key',
  );
}

async function freshStore(): Promise<{ store: Store; subject: Descriptor; other: Descriptor }> {
  const dir = await tempDir();
  const catalog = join(dir, 'catalog');
  const a = await seedPack(catalog, 'acme.app:1.0.0', join(dir, 'w1'));
  const b = await seedPack(catalog, 'acme.app:2.0.0', join(dir, 'w2'));
  return { store: await Store.open(catalog), subject: a.manifest, other: b.manifest };
}

function opts(o: Partial<SignOptions> = {}): SignOptions {
  return { dockerReference: 'acme.app', legacyTagRef: (d) => storeLegacyRef('acme.app', d), ...o };
}

async function verify(
  store: Store,
  subject: Descriptor,
  key: SigningKey,
  annotations: Record<string, string> = {},
): Promise<VerifyResult> {
  return verifySignatures(store, subject, {
    requirement: { kind: 'key', key: key.publicKey },
    annotations,
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

async function put(store: Store, d: Descriptor, bytes: Buffer): Promise<void> {
  if (!(await store.exists(d))) await store.push(d, Readable.from([bytes]));
}

/** Stores a legacy `.sig` image for `subject` whose one layer is `payload`, signed by `signature` (base64). */
async function putLegacy(store: Store, subject: Descriptor, payload: Buffer, signature: string): Promise<void> {
  const layer = descriptorOf(MediaType.cosignSimpleSigning, payload);
  const img = legacyImage([], { payload: layer, signature });
  await put(store, layer, payload);
  await put(store, img.config.descriptor, img.config.bytes);
  await put(store, img.manifest.descriptor, img.manifest.bytes);
  await store.tag(img.manifest.descriptor, storeLegacyRef('acme.app', subject));
}

test('sign with a key (bundle referrer, the default) and verify offline; P-256 and P-384', async () => {
  for (const curve of ['prime256v1', 'secp384r1']) {
    const { store, subject } = await freshStore();
    const key = await newKey(curve);
    const [res] = await signArtifact(store, subject, key, opts());
    assert.equal(res?.format, 'bundle');
    assert.equal((await store.referrers(subject)).length, 1);
    const r = await verify(store, subject, key);
    assert.equal(r.verified[0]?.format, 'bundle');
    assert.deepEqual(r.verified[0]?.signer, {
      kind: 'key',
      fingerprint: key.publicKey.fingerprint,
      algorithm: key.publicKey.algorithm,
    });
  }
});

test('--legacy writes <repo>:sha256-<hex>.sig in the store; a second signature appends a layer', async () => {
  const { store, subject } = await freshStore();
  const k1 = await newKey();
  const k2 = await newKey();
  await signArtifact(store, subject, k1, opts({ legacy: true }));
  await signArtifact(store, subject, k2, opts({ legacy: true }));
  const refs = await storeLegacyRefs(store, subject);
  assert.equal(refs.length, 1);
  const m = JSON.parse((await store.fetchBytes(await store.resolve(refs[0] ?? ''))).toString()) as {
    layers: unknown[];
  };
  assert.equal(m.layers.length, 2);
  assert.equal((await verify(store, subject, k1)).verified[0]?.format, 'legacy');
  assert.equal((await verify(store, subject, k2)).verified[0]?.format, 'legacy');
});

test('-a annotations are signed and required on verify: claim_mismatch when absent or different', async () => {
  for (const legacy of [false, true]) {
    const { store, subject } = await freshStore();
    const key = await newKey();
    await signArtifact(store, subject, key, opts({ legacy, annotations: { env: 'prod' } }));
    await verify(store, subject, key, { env: 'prod' });
    await rejects(verify(store, subject, key, { env: 'dev' }), 'claim_mismatch');
    await rejects(verify(store, subject, key, { team: 'x' }), 'claim_mismatch');
  }
});

test('a wrong key: key_mismatch for bundles (the key hint names another key); signature_invalid for a bare legacy signature', async () => {
  const { store, subject } = await freshStore();
  const signer = await newKey();
  await signArtifact(store, subject, signer, opts());
  await rejects(verify(store, subject, await newKey()), 'key_mismatch');
  // both keys in one form, the fingerprint's (the bundle's base64 key hint is the same SHA-256)
  await assert.rejects(verify(store, subject, await newKey()), (e: Error) => {
    const said = e.message.slice(e.message.indexOf('signed by another key'));
    const both = [...said.matchAll(/sha256:[0-9a-f]{64}/g)].map((m) => m[0]);
    assert.equal(both.length, 2, e.message);
    assert.equal(both[0], signer.publicKey.fingerprint, e.message);
    assert.ok(!/[A-Za-z0-9+/]{43}=/.test(e.message), e.message);
    return true;
  });
  const l = await freshStore();
  await signArtifact(l.store, l.subject, await newKey(), opts({ legacy: true }));
  await rejects(verify(l.store, l.subject, await newKey()), 'signature_invalid');
});

test('a tampered payload: signature_invalid (bundle and legacy)', async () => {
  const key = await newKey();
  const { store, subject } = await freshStore();
  const bundle = JSON.parse(
    (await buildKeyDsseBundle(signStatement(subject.digest), MediaType.inTotoPayload, key)).toString(),
  ) as { dsseEnvelope: { payload: string } };
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
    predicate: Record<string, unknown>;
  };
  st.predicate = { evil: true };
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
  const r = bundleReferrer(
    subject,
    Buffer.from(JSON.stringify(bundle)),
    'https://sigstore.dev/cosign/sign/v1',
    '2026-01-01T00:00:00Z',
  );
  for (const part of [r.config, r.layer, r.manifest]) await put(store, part.descriptor, part.bytes);
  await rejects(verify(store, subject, key), 'signature_invalid');

  const l = await freshStore();
  const signed = simpleSigningPayload('acme.app', l.subject.digest);
  const tampered = simpleSigningPayload('acme.app', l.subject.digest, { injected: 'yes' });
  await putLegacy(l.store, l.subject, tampered, signData(key, signed).toString('base64'));
  await rejects(verify(l.store, l.subject, key), 'signature_invalid');
});

test('a valid signature over another digest: claim_mismatch (bundle subject and legacy payload)', async () => {
  const key = await newKey();
  const { store, subject, other } = await freshStore();
  const r = bundleReferrer(
    subject,
    await buildKeyDsseBundle(signStatement(other.digest), MediaType.inTotoPayload, key),
    'https://sigstore.dev/cosign/sign/v1',
    '2026-01-01T00:00:00Z',
  );
  for (const part of [r.config, r.layer, r.manifest]) await put(store, part.descriptor, part.bytes);
  await rejects(verify(store, subject, key), 'claim_mismatch');

  const l = await freshStore();
  const payload = simpleSigningPayload('acme.app', l.other.digest);
  await putLegacy(l.store, l.subject, payload, signData(key, payload).toString('base64'));
  await rejects(verify(l.store, l.subject, key), 'claim_mismatch');
});

test('nothing signed: signature_not_found; an attestation of another predicate is not a signature', async () => {
  const key = await newKey();
  const { store, subject } = await freshStore();
  await rejects(verify(store, subject, key), 'signature_not_found');
  const r = bundleReferrer(
    subject,
    await buildKeyDsseBundle(signStatement(subject.digest), MediaType.inTotoPayload, key),
    'https://spdx.dev/Document',
    '2026-01-01T00:00:00Z',
  );
  for (const part of [r.config, r.layer, r.manifest]) await put(store, part.descriptor, part.bytes);
  await rejects(verify(store, subject, key), 'signature_not_found');
});

test('signing an index signs its child manifests too, unless recursive is off', async () => {
  const key = await newKey();
  const { store, subject, other } = await freshStore();
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [subject, other] });
  const index = descriptorOf(MediaType.ociIndex, bytes);
  await put(store, index, bytes);
  await store.tag(index, 'acme.app:multi');
  assert.equal((await signArtifact(store, index, key, opts())).length, 3);
  for (const d of [index, subject, other]) await verify(store, d, key);
  const f = await freshStore();
  const bytes2 = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [f.subject] });
  const index2 = descriptorOf(MediaType.ociIndex, bytes2);
  await put(f.store, index2, bytes2);
  assert.equal((await signArtifact(f.store, index2, key, opts({ recursive: false }))).length, 1);
  await rejects(verify(f.store, f.subject, key), 'signature_not_found');
});
