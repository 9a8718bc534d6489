/**
 * Golden signed artifacts, generated once by scrydon's own code from fixed inputs and committed under
 * fixtures/signatures/golden/, then re-verified on every run: format drift shows up as a diff (the builders
 * must still produce the committed bytes) or as a verification failure. Regenerate with
 * SCRYDON_UPDATE_GOLDEN=1 (and review the diff).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { exact } from '../../src/signature/identity.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { parsePrivateKey, parsePublicKey, signData } from '../../src/signature/keys.js';
import { legacyImage, type LegacyLayer } from '../../src/signature/legacy-format.js';
import { storeLegacyRefs } from '../../src/signature/locations.js';
import { buildKeyDsseBundle } from '../../src/signature/sigstore-adapter.js';
import { parseTrustedRoot } from '../../src/signature/sigstore-trust-root.js';
import { simpleSigningPayload } from '../../src/signature/simple-signing.js';
import { verifySignatures, type VerifyRequirement } from '../../src/signature/verify.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, FIXTURES, tempDir } from '../helpers/cli.js';
import { INTEROP } from '../helpers/cosign-fixtures.js';
import {
  fakeSigstore,
  IDENTITY,
  ISSUER,
  keylessBundle,
  keylessLegacyAnnotations,
} from '../helpers/sigstore-fixtures.js';
import { storeLegacyRef } from '../../src/names/store.js';

const DIR = join(FIXTURES, 'signatures', 'golden');
const CREATED = '2026-01-01T00:00:00Z';
const REPO = 'acme.golden';

/** The signed subject: a tiny artifact whose only blob is `{}`. */
const SUBJECT_BYTES = encodeJson({
  schemaVersion: 2,
  mediaType: MediaType.ociManifest,
  artifactType: 'application/vnd.scrydon.test.v1',
  config: descriptorOf(MediaType.ociEmpty, EMPTY_JSON),
  layers: [descriptorOf(MediaType.ociEmpty, EMPTY_JSON)],
});
const SUBJECT = descriptorOf(MediaType.ociManifest, SUBJECT_BYTES);

async function write(name: string, data: string | Buffer): Promise<void> {
  await writeFile(join(DIR, name), data);
}
async function read(name: string): Promise<Buffer> {
  return readFile(join(DIR, name));
}

async function generate(): Promise<void> {
  await mkdir(DIR, { recursive: true });
  const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const key = await parsePrivateKey(pkcs8, undefined, 'golden key');
  await write('key.pub', key.publicKey.pem);
  await write('subject.json', SUBJECT_BYTES);
  await write(
    'key-bundle.json',
    buildKeyDsseBundle(signStatement(SUBJECT.digest, { env: 'golden' }), MediaType.inTotoPayload, key),
  );
  const payload = simpleSigningPayload(REPO, SUBJECT.digest, { env: 'golden' });
  await write('key-legacy-payload.json', payload);
  await write('key-legacy-signature.txt', signData(key, payload).toString('base64'));
  const s = await fakeSigstore();
  await write('trusted_root.json', JSON.stringify(s.trustedRoot, null, 2) + '\n');
  await write(
    'keyless-bundle.json',
    await keylessBundle(s, await s.issue(), signStatement(SUBJECT.digest), { tsa: true }),
  );
  const kp = simpleSigningPayload(REPO, SUBJECT.digest);
  await write('keyless-legacy-payload.json', kp);
  await write(
    'keyless-legacy-annotations.json',
    JSON.stringify(await keylessLegacyAnnotations(s, await s.issue(), kp, { tsa: true }), null, 2) + '\n',
  );
  // the OCI objects our builders make from those: what the test compares against
  const kb = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  await write('key-bundle-referrer.manifest.json', kb.manifest.bytes);
  const li = legacyImage([], {
    payload: descriptorOf(MediaType.cosignSimpleSigning, payload),
    signature: (await read('key-legacy-signature.txt')).toString(),
  });
  await write('key-legacy.manifest.json', li.manifest.bytes);
  await write('key-legacy.config.json', li.config.bytes);
}

before(async () => {
  let present = false;
  try {
    present = (await readdir(DIR)).includes('key-legacy.manifest.json');
  } catch {
    present = false;
  }
  if (!present || process.env.SCRYDON_UPDATE_GOLDEN === '1') await generate();
});
after(cleanupTemps);

async function put(store: Store, d: Descriptor, bytes: Buffer): Promise<void> {
  if (!(await store.exists(d))) await store.push(d, Readable.from([bytes]));
}

async function storeWithSubject(): Promise<Store> {
  const store = await Store.open(join(await tempDir(), 'catalog'));
  await put(store, descriptorOf(MediaType.ociEmpty, EMPTY_JSON), EMPTY_JSON);
  await put(store, SUBJECT, await read('subject.json'));
  await store.tag(SUBJECT, `${REPO}:1`);
  return store;
}

async function storeLegacy(store: Store, payload: Buffer, layer: LegacyLayer): Promise<void> {
  const img = legacyImage([], layer);
  await put(store, layer.payload, payload);
  await put(store, img.config.descriptor, img.config.bytes);
  await put(store, img.manifest.descriptor, img.manifest.bytes);
  await store.tag(img.manifest.descriptor, storeLegacyRef(REPO, SUBJECT));
}

async function verify(
  store: Store,
  requirement: VerifyRequirement,
  withTrust: boolean,
  annotations: Record<string, string> = {},
) {
  const bytes = await read('trusted_root.json');
  const trust = withTrust
    ? { root: parseTrustedRoot(JSON.parse(bytes.toString()), 'golden trusted_root.json'), digest: 'golden' }
    : undefined;
  return verifySignatures(store, SUBJECT, {
    requirement,
    trust,
    annotations,
    legacyRefs: await storeLegacyRefs(store, SUBJECT),
  });
}

test('golden: the subject and the builders still produce the committed bytes', async () => {
  assert.deepEqual(await read('subject.json'), SUBJECT_BYTES);
  assert.deepEqual(
    simpleSigningPayload(REPO, SUBJECT.digest, { env: 'golden' }),
    await read('key-legacy-payload.json'),
  );
  assert.deepEqual(simpleSigningPayload(REPO, SUBJECT.digest), await read('keyless-legacy-payload.json'));
  const kb = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  assert.equal(kb.manifest.bytes.toString(), (await read('key-bundle-referrer.manifest.json')).toString());
  const payload = await read('key-legacy-payload.json');
  const li = legacyImage([], {
    payload: descriptorOf(MediaType.cosignSimpleSigning, payload),
    signature: (await read('key-legacy-signature.txt')).toString(),
  });
  assert.equal(li.manifest.bytes.toString(), (await read('key-legacy.manifest.json')).toString());
  assert.equal(li.config.bytes.toString(), (await read('key-legacy.config.json')).toString());
});

test('golden: the committed key bundle referrer re-verifies with key.pub (and its -a annotation)', async () => {
  const store = await storeWithSubject();
  const kb = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  for (const p of [kb.config, kb.layer, kb.manifest]) await put(store, p.descriptor, p.bytes);
  const key = parsePublicKey((await read('key.pub')).toString(), 'key.pub');
  const r = await verify(store, { kind: 'key', key }, false, { env: 'golden' });
  assert.equal(r.verified[0]?.format, 'bundle');
});

test('golden: the committed key legacy .sig re-verifies', async () => {
  const store = await storeWithSubject();
  const payload = await read('key-legacy-payload.json');
  await storeLegacy(store, payload, {
    payload: descriptorOf(MediaType.cosignSimpleSigning, payload),
    signature: (await read('key-legacy-signature.txt')).toString(),
  });
  const key = parsePublicKey((await read('key.pub')).toString(), 'key.pub');
  assert.equal((await verify(store, { kind: 'key', key }, false, { env: 'golden' })).verified[0]?.format, 'legacy');
});

test('golden: the committed keyless bundle and keyless legacy signature re-verify against the committed trusted root', async () => {
  const who: VerifyRequirement = { kind: 'keyless', identity: { identity: exact(IDENTITY), issuer: exact(ISSUER) } };
  const store = await storeWithSubject();
  const kb = bundleReferrer(SUBJECT, await read('keyless-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  for (const p of [kb.config, kb.layer, kb.manifest]) await put(store, p.descriptor, p.bytes);
  const r = await verify(store, who, true);
  assert.equal(r.verified[0]?.format, 'bundle');
  assert.equal(r.verified[0]?.tsaTimestamps, 1);

  const legacyStore = await storeWithSubject();
  const payload = await read('keyless-legacy-payload.json');
  const ann = JSON.parse((await read('keyless-legacy-annotations.json')).toString()) as Omit<LegacyLayer, 'payload'>;
  await storeLegacy(legacyStore, payload, { payload: descriptorOf(MediaType.cosignSimpleSigning, payload), ...ann });
  const r2 = await verify(legacyStore, who, true);
  assert.equal(r2.verified[0]?.format, 'legacy');
  assert.equal(r2.verified[0]?.transparencyLog.entries, 1);
});

// ------------------------------------------------------------------------------------------------ cosign 3's shapes

/** The JSON's structure with its values replaced by their kind, keys kept in their order: what two writers share. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  if (typeof v === 'number') return 'number';
  return typeof v === 'string' && /^sha256:[0-9a-f]{64}$/.test(v) ? 'digest' : v;
}

test('golden: the bundle referrer has the shape cosign 3 writes (WriteReferrer: Go field order, artifactType on the config too)', async () => {
  // cosign-formats notes §2.2, from cosign pkg/oci/remote/write.go WriteReferrer and go-containerregistry
  // v1.Manifest/Descriptor
  const cosign = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.empty.v1+json',
      size: 2,
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    },
    layers: [
      { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', size: 4971, digest: `sha256:${'a'.repeat(64)}` },
    ],
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
    },
    subject: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 1234,
      digest: `sha256:${'b'.repeat(64)}`,
    },
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  };
  const ours = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED).manifest.bytes;
  assert.equal(JSON.stringify(shape(JSON.parse(ours.toString()))), JSON.stringify(shape(cosign)));
});

test('golden: a key bundle carries the fields cosign 3 writes: no DSSE keyid, no empty timestampVerificationData (beside a bundle cosign wrote)', async () => {
  type B = {
    verificationMaterial: Record<string, unknown>;
    dsseEnvelope: { signatures: Array<Record<string, unknown>> };
  };
  const cosign = JSON.parse(await readFile(join(INTEROP, 'cosign', 'oci-attestation.sigstore.json'), 'utf8')) as B;
  const key = await parsePrivateKey(
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    undefined,
    'k',
  );
  for (const [what, ours] of [
    ['committed', JSON.parse((await read('key-bundle.json')).toString()) as B],
    [
      'built',
      JSON.parse(buildKeyDsseBundle(signStatement(SUBJECT.digest), MediaType.inTotoPayload, key).toString()) as B,
    ],
  ] as const) {
    assert.deepEqual(Object.keys(ours), Object.keys(cosign), what);
    assert.deepEqual(Object.keys(ours.dsseEnvelope), Object.keys(cosign.dsseEnvelope), what);
    assert.deepEqual(
      ours.dsseEnvelope.signatures.map((s) => Object.keys(s)),
      cosign.dsseEnvelope.signatures.map((s) => Object.keys(s)),
      what,
    );
    // cosign's is keyless (a certificate and a Rekor entry); a key bundle names its key by a hint, and has no empty
    // extras
    assert.deepEqual(Object.keys(ours.verificationMaterial), ['publicKey'], what);
    assert.deepEqual(Object.keys(cosign.verificationMaterial), ['certificate', 'tlogEntries']);
  }
});

test('golden: the in-toto statement is the one cosign ≥ 3.0.5 signs (subject annotations {} when none, empty predicate)', () => {
  const hex = SUBJECT.digest.slice('sha256:'.length);
  // protojson of intotov1.Statement{Type, Subject: [{Digest, Annotations: structpb.NewStruct(map)}], PredicateType,
  // Predicate: &structpb.Struct{}}
  const cosign = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${hex}"},"annotations":{}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`;
  assert.equal(signStatement(SUBJECT.digest).toString(), cosign);
  assert.equal(
    signStatement(SUBJECT.digest, { env: 'prod' }).toString(),
    cosign.replace('"annotations":{}', '"annotations":{"env":"prod"}'),
  );
});
