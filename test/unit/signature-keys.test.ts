import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { decryptCosignKey, encryptCosignKey } from '../../src/signature/key-encryption.js';
import { parseKeyRef, readKeyRef } from '../../src/signature/key-ref.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, signData, verifyData } from '../../src/signature/keys.js';
import { FIXTURES } from '../helpers/cli.js';

const VECTORS = join(FIXTURES, 'signatures', 'cosign-keys');

async function rejects(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(isScrydonError(e), String(e));
      assert.equal(e.code, code, e.message);
      return true;
    },
  );
}

test("cosign's published encrypted-key test vectors (pkg/cosign/keys_test.go, password 'hello') decrypt", async () => {
  for (const name of ['pemsigstorekey.key', 'pemcosignkey.key']) {
    const k = await parsePrivateKey(await readFile(join(VECTORS, name), 'utf8'), 'hello', name);
    assert.equal(k.publicKey.algorithm, 'ecdsa-p256-sha256');
    const sig = signData(k, Buffer.from('x'));
    assert.ok(verifyData(k.publicKey, Buffer.from('x'), sig));
  }
  // decrypts, but holds SEC1 rather than PKCS#8: cosign refuses it too
  const sec1 = await readFile(join(VECTORS, 'pemcosigneckey.key'), 'utf8');
  assert.ok((await decryptCosignKey(sec1, 'hello', 'ec')).byteLength > 0);
  await rejects(parsePrivateKey(sec1, 'hello', 'ec'), 'key_invalid');
});

test('a wrong password: key_password; no password for an encrypted key: key_password', async () => {
  const pem = await readFile(join(VECTORS, 'pemsigstorekey.key'), 'utf8');
  await rejects(parsePrivateKey(pem, 'wrong', 'k'), 'key_password');
  await rejects(parsePrivateKey(pem, undefined, 'k'), 'key_password');
});

test('scrypt parameters cosign does not accept: key_params_unsupported (before any scrypt work)', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  for (const params of [
    { N: 16384, r: 8, p: 1 },
    { N: 65536, r: 16, p: 1 },
    { N: 1 << 22, r: 8, p: 1 },
  ]) {
    const pem = params.N > 131072 ? await tamperedParams(der, params) : await encryptCosignKey(der, 'pw', params);
    await rejects(parsePrivateKey(pem, 'pw', 'k'), 'key_params_unsupported');
  }
  for (const params of [
    { N: 32768, r: 8, p: 1 },
    { N: 131072, r: 8, p: 1 },
  ]) {
    await parsePrivateKey(await encryptCosignKey(der, 'pw', params), 'pw', 'k');
  }
});

/** A key whose envelope claims huge scrypt parameters (never actually derived: it would take gigabytes). */
async function tamperedParams(der: Buffer, params: { N: number; r: number; p: number }): Promise<string> {
  const pem = await encryptCosignKey(der, 'pw');
  const body = pem
    .split('\n')
    .filter((l) => !l.startsWith('-----'))
    .join('');
  const env = JSON.parse(Buffer.from(body, 'base64').toString()) as { kdf: { params: unknown } };
  env.kdf.params = params;
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(env)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

test('generate → decrypt round trip; the public half is PKIX PEM with a stable fingerprint', async () => {
  const pair = await generateKeyPair('');
  assert.match(pair.privatePem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
  assert.match(pair.publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
  const env = JSON.parse(Buffer.from(pair.privatePem.split('\n').slice(1, -2).join(''), 'base64').toString()) as Record<
    string,
    Record<string, unknown>
  >;
  assert.deepEqual(env.kdf?.params, { N: 65536, r: 8, p: 1 });
  assert.equal(env.cipher?.name, 'nacl/secretbox');
  const k = await parsePrivateKey(pair.privatePem, '', 'k');
  assert.equal(k.publicKey.fingerprint, parsePublicKey(pair.publicPem, 'p').fingerprint);
  assert.equal(k.publicKey.fingerprint, pair.fingerprint);
});

test('plain PKCS#8, SEC1 and PKCS#1 keys: ECDSA P-256/384/521 and RSA are accepted (all sign over SHA-256); Ed25519 and P-224 are refused with a reason', async () => {
  const pem = (k: ReturnType<typeof generateKeyPairSync>['privateKey'], type: 'pkcs8' | 'sec1' | 'pkcs1') =>
    k.export({ format: 'pem', type }).toString();
  const cases: Array<[string, string]> = [
    [pem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey, 'pkcs8'), 'ecdsa-p256-sha256'],
    [pem(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey, 'sec1'), 'ecdsa-p384-sha256'],
    [pem(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey, 'pkcs8'), 'ecdsa-p521-sha256'],
    [pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'pkcs1'), 'rsa-pkcs1v15-sha256'],
  ];
  for (const [p, alg] of cases) {
    const k = await parsePrivateKey(p, undefined, 'k');
    assert.equal(k.publicKey.algorithm, alg);
    assert.ok(verifyData(k.publicKey, Buffer.from('data'), signData(k, Buffer.from('data'))));
  }
  const ed = pem(generateKeyPairSync('ed25519').privateKey, 'pkcs8');
  await rejects(parsePrivateKey(ed, undefined, 'ed'), 'key_unsupported');
  await assert.rejects(parsePrivateKey(ed, undefined, 'ed'), /Ed25519ph/);
  await rejects(
    parsePrivateKey(pem(generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey, 'pkcs8'), undefined, 'p224'),
    'key_unsupported',
  );
  await rejects(
    () => parsePublicKey('-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n-----END PGP PUBLIC KEY BLOCK-----\n', 'pgp'),
    'key_invalid',
  );
});

test('key references: a path, env://NAME holding the PEM; network and KMS schemes are refused', async () => {
  assert.deepEqual(parseKeyRef('cosign.key'), { kind: 'file', path: 'cosign.key' });
  assert.deepEqual(parseKeyRef('env://COSIGN_PRIVATE_KEY'), { kind: 'env', name: 'COSIGN_PRIVATE_KEY' });
  assert.equal(await readKeyRef(parseKeyRef('env://K'), (n) => (n === 'K' ? 'PEM' : undefined)), 'PEM');
  await rejects(
    readKeyRef(parseKeyRef('env://MISSING'), () => undefined),
    'key_invalid',
  );
  for (const r of ['awskms://x', 'https://example.com/k.pub', 'k8s://ns/secret', 'pkcs11:token=x'])
    await rejects(() => parseKeyRef(r), 'key_invalid');
});
