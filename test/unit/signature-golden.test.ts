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
import { storeLegacyRef, storeLegacyRefs } from '../../src/signature/locations.js';
import { buildKeyDsseBundle } from '../../src/signature/sigstore-adapter.js';
import { parseTrustedRoot } from '../../src/signature/sigstore-trust-root.js';
import { simpleSigningPayload } from '../../src/signature/simple-signing.js';
import { verifySignatures, type VerifyRequirement } from '../../src/signature/verify.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, FIXTURES, tempDir } from '../helpers/cli.js';
import { fakeSigstore, IDENTITY, ISSUER, keylessBundle, keylessLegacyAnnotations } from '../helpers/sigstore-fixtures.js';

const DIR = join(FIXTURES, 'signatures', 'golden');
const CREATED = '2026-01-01T00:00:00Z';
const REPO = 'acme.golden';

/** The signed subject: a tiny artifact whose only blob is `{}`. */
const SUBJECT_BYTES = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, artifactType: 'application/vnd.scrydon.test.v1', config: descriptorOf(MediaType.ociEmpty, EMPTY_JSON), layers: [descriptorOf(MediaType.ociEmpty, EMPTY_JSON)] });
const SUBJECT = descriptorOf(MediaType.ociManifest, SUBJECT_BYTES);

async function write(name: string, data: string | Buffer): Promise<void> {
  await writeFile(join(DIR, name), data);
}
async function read(name: string): Promise<Buffer> {
  return readFile(join(DIR, name));
}

async function generate(): Promise<void> {
  await mkdir(DIR, { recursive: true });
  const pkcs8 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const key = await parsePrivateKey(pkcs8, undefined, 'golden key');
  await write('key.pub', key.publicKey.pem);
  await write('subject.json', SUBJECT_BYTES);
  await write('key-bundle.json', await buildKeyDsseBundle(signStatement(SUBJECT.digest, { env: 'golden' }), MediaType.inTotoPayload, key));
  const payload = simpleSigningPayload(REPO, SUBJECT.digest, { env: 'golden' });
  await write('key-legacy-payload.json', payload);
  await write('key-legacy-signature.txt', signData(key, payload).toString('base64'));
  const s = await fakeSigstore();
  await write('trusted_root.json', JSON.stringify(s.trustedRoot, null, 2) + '\n');
  await write('keyless-bundle.json', await keylessBundle(s, await s.issue(), signStatement(SUBJECT.digest), { tsa: true }));
  const kp = simpleSigningPayload(REPO, SUBJECT.digest);
  await write('keyless-legacy-payload.json', kp);
  await write('keyless-legacy-annotations.json', JSON.stringify(await keylessLegacyAnnotations(s, await s.issue(), kp, { tsa: true }), null, 2) + '\n');
  // the OCI objects our builders make from those: what the test compares against
  const kb = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  await write('key-bundle-referrer.manifest.json', kb.manifest.bytes);
  const li = legacyImage([], { payload: descriptorOf(MediaType.cosignSimpleSigning, payload), signature: (await read('key-legacy-signature.txt')).toString() });
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

async function verify(store: Store, requirement: VerifyRequirement, withTrust: boolean, annotations: Record<string, string> = {}) {
  const bytes = await read('trusted_root.json');
  const trust = withTrust ? { root: parseTrustedRoot(JSON.parse(bytes.toString()), 'golden trusted_root.json'), digest: 'golden' } : undefined;
  return verifySignatures(store, SUBJECT, { requirement, trust, annotations, legacyRefs: await storeLegacyRefs(store, SUBJECT) });
}

test('golden: the subject and the builders still produce the committed bytes', async () => {
  assert.deepEqual(await read('subject.json'), SUBJECT_BYTES);
  assert.deepEqual(simpleSigningPayload(REPO, SUBJECT.digest, { env: 'golden' }), await read('key-legacy-payload.json'));
  assert.deepEqual(simpleSigningPayload(REPO, SUBJECT.digest), await read('keyless-legacy-payload.json'));
  const kb = bundleReferrer(SUBJECT, await read('key-bundle.json'), COSIGN_SIGN_PREDICATE, CREATED);
  assert.equal(kb.manifest.bytes.toString(), (await read('key-bundle-referrer.manifest.json')).toString());
  const payload = await read('key-legacy-payload.json');
  const li = legacyImage([], { payload: descriptorOf(MediaType.cosignSimpleSigning, payload), signature: (await read('key-legacy-signature.txt')).toString() });
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
  await storeLegacy(store, payload, { payload: descriptorOf(MediaType.cosignSimpleSigning, payload), signature: (await read('key-legacy-signature.txt')).toString() });
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
