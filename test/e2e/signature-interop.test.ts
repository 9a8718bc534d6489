import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import {
  INTEROP,
  newestSignature,
  readContainersImageSignature,
  storeContainersImageFixture,
  storeKeySigned,
} from '../helpers/cosign-fixtures.js';
import { fakeSigstore } from '../helpers/sigstore-fixtures.js';

/**
 * cosign interoperability through the built CLI: signatures as each cosign version makes them with a P-384 key
 * (cosign's own test-vector key), `--key` given a certificate, and what `scrydon sign` writes checked the way
 * `cosign verify --key` checks it.
 */

const P384_KEY = join(INTEROP, 'cosign', 'validecp384.key');
const REPO = 'registry.local/acme/app';
let work: string;
let p384Pub: string;
let p384Fingerprint: string;

type Verified = {
  verified: Array<{ format: string; signer: { kind: string; fingerprint: string; algorithm: string } }>;
};

before(async () => {
  work = await tempDir();
  const spki = createPublicKey(createPrivateKey(await readFile(P384_KEY, 'utf8'))).export({
    format: 'der',
    type: 'spki',
  });
  p384Fingerprint = `sha256:${createHash('sha256').update(spki).digest('hex')}`;
  p384Pub = join(work, 'p384.pub');
  await writeFile(
    p384Pub,
    createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }),
  );
});
after(cleanupTemps);

// the subjects below are signed manifests stored without their config and layers (only the signature matters here),
// so verify is told not to rehash the content it covers

test('P-384: a legacy .sig as cosign ≤ 2.5 and containers/image sign it (SHA-256) verifies, and as cosign ≥ 2.6 does (SHA-384)', async () => {
  const priv = createPrivateKey(await readFile(P384_KEY, 'utf8'));
  for (const [hash, algorithm] of [
    ['sha256', 'ecdsa-p384-sha256'],
    ['sha384', 'ecdsa-p384-sha384'],
  ] as const) {
    const home = await tempDir();
    await storeKeySigned(join(home, 'catalog'), REPO, priv, hash);
    const v = await json<Verified>(['verify', `${REPO}:1`, '--key', p384Pub, '--no-check-content'], { home });
    assert.deepEqual(v.verified[0]?.signer, { kind: 'key', fingerprint: p384Fingerprint, algorithm }, hash);
  }
});

test('scrydon sign with a P-384 key writes SHA-256 signatures (legacy and bundle): what cosign verify --key checks by default', async () => {
  const home = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  for (const extra of [['--legacy'], []]) {
    const s = await json<{ signatures: Array<{ signature: string; format: string }> }>(
      ['sign', 'acme.fraud:1.2.0', '--key', P384_KEY, ...extra],
      { home },
    );
    const res = s.signatures[0];
    assert.ok(res);
    const { signed, sig } = await newestSignature(join(home, 'catalog'), res.signature);
    const key = createPublicKey(await readFile(p384Pub, 'utf8'));
    // cosign verify --key (every version): signature.LoadVerifier(pub, crypto.SHA256)
    assert.equal(verify('sha256', signed, key, sig), true, `${res.format}: SHA-256`);
    assert.equal(verify('sha384', signed, key, sig), false, `${res.format}: not SHA-384`);
  }
  const v = await json<Verified>(['verify', 'acme.fraud:1.2.0', '--key', p384Pub], { home });
  assert.equal(v.verified[0]?.signer.algorithm, 'ecdsa-p384-sha256');
});

test('verify --key CERT.pem: a .sig layer carrying another certificate is verified with the given key, as cosign does', async () => {
  // CERT.pem: a certificate of the signing key, made by openssl; the layer carries a Fulcio-style certificate of
  // another key
  const certPem = join(work, 'p384-cert.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-new', '-x509', '-key', P384_KEY, '-subj', '/CN=scrydon interop test', '-days', '2', '-out', certPem],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const other = await (await fakeSigstore()).issue();
  const home = await tempDir();
  const priv = createPrivateKey(await readFile(P384_KEY, 'utf8'));
  await storeKeySigned(join(home, 'catalog'), REPO, priv, 'sha256', {
    'dev.sigstore.cosign/certificate': other.certPem,
    'dev.sigstore.cosign/chain': other.rootPem,
  });
  const v = await json<Verified>(['verify', `${REPO}:1`, '--key', certPem, '--no-check-content'], { home });
  assert.equal(v.verified[0]?.format, 'legacy');
  assert.deepEqual(v.verified[0]?.signer, {
    kind: 'key',
    fingerprint: p384Fingerprint,
    algorithm: 'ecdsa-p384-sha256',
  });

  // a real one: containers/image's RSA-4096 signature with a PKI certificate attached, verified with that certificate
  const pkiHome = await tempDir();
  await storeContainersImageFixture(join(pkiHome, 'catalog'), 'dir-img-cosign-pki-valid', 'localhost:5000/test');
  const pki = await readContainersImageSignature(
    join(INTEROP, 'containers-image', 'dir-img-cosign-pki-valid', 'signature-1'),
  );
  const rsaCert = join(work, 'rsa-cert.pem');
  await writeFile(rsaCert, pki.annotations['dev.sigstore.cosign/certificate'] ?? '');
  const v2 = await json<Verified>(['verify', 'localhost:5000/test:1', '--key', rsaCert, '--no-check-content'], {
    home: pkiHome,
  });
  assert.equal(v2.verified[0]?.signer.algorithm, 'rsa-pkcs1v15-sha256');
  // another key: the signature is the certificate key's, so the given key is the wrong one
  const wrong = expectError(
    await scrydon(['verify', 'localhost:5000/test:1', '--key', p384Pub, '--no-check-content'], { home: pkiHome }),
    'key_mismatch',
  );
  assert.match(wrong.stderr, /signed by the key of the certificate it carries/);
});
