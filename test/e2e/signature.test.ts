import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import {
  fakeSigstore,
  IDENTITY,
  ISSUER,
  storeKeylessArtifact,
  type FakeSigstore,
} from '../helpers/sigstore-fixtures.js';

/** The signature commands as users run them: keys, sign/verify in the store, keyless with an imported root, policy, receipts. */

let work: string;
let sigstore: FakeSigstore;
const ENV = { COSIGN_PASSWORD: 'pw' };

before(async () => {
  work = await tempDir();
  await ok(['key', 'generate', '--dir', work], { env: ENV });
  await ok(['key', 'generate', '--dir', work, '--output-key-prefix', 'other'], { env: ENV });
  sigstore = await fakeSigstore();
  await writeFile(join(work, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
});
after(cleanupTemps);

async function builtHome(): Promise<string> {
  const home = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  return home;
}

test('key generate writes cosign.key (0600, encrypted) and cosign.pub; refuses to overwrite', async () => {
  assert.match(await readFile(join(work, 'cosign.key'), 'utf8'), /ENCRYPTED SIGSTORE PRIVATE KEY/);
  assert.equal((await stat(join(work, 'cosign.key'))).mode & 0o777, 0o600);
  assert.match(await readFile(join(work, 'cosign.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  expectError(await scrydon(['key', 'generate', '--dir', work], { env: ENV }), 'usage', 2);
  // a --dir that does not exist yet is created, private to its owner
  const nested = join(work, 'new', 'keys');
  await ok(['key', 'generate', '--dir', nested], { env: ENV });
  assert.equal((await stat(join(nested, 'cosign.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(nested)).mode & 0o077, 0);
});

test('wrong password: key_password, and nothing is written to the store', async () => {
  const home = await builtHome();
  const before = await treeHash(join(home, 'catalog'));
  expectError(
    await scrydon(['sign', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.key')], {
      home,
      env: { COSIGN_PASSWORD: 'nope' },
    }),
    'key_password',
  );
  assert.equal(await treeHash(join(home, 'catalog')), before);
});

test('a cosign test-vector key signs (env:// reference), and its public key verifies', async () => {
  const home = await builtHome();
  const pem = await readFile(join(FIXTURES, 'signatures', 'cosign-keys', 'pemsigstorekey.key'), 'utf8');
  await ok(['sign', 'acme.fraud:1.2.0', '--key', 'env://SIGNING_KEY'], {
    home,
    env: { SIGNING_KEY: pem, COSIGN_PASSWORD: 'hello' },
  });
  const pub = await json<{ publicKey: string }>(['key', 'public', 'env://SIGNING_KEY'], {
    home,
    env: { SIGNING_KEY: pem, COSIGN_PASSWORD: 'hello' },
  });
  await writeFile(join(home, 'vector.pub'), pub.publicKey);
  await ok(['verify', 'acme.fraud:1.2.0', '--key', join(home, 'vector.pub')], { home });
});

test('sign warns on a tag and reports the digest; verify --json says who, which format, which trust root; inspect shows receipts', async () => {
  const home = await builtHome();
  const r = await scrydon(['sign', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.key'), '-a', 'env=prod', '--json'], {
    home,
    env: ENV,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: acme\.fraud:1\.2\.0 is a tag; signing the digest/);
  const signed = JSON.parse(r.stdout) as { digest: string };
  const v = await json<{
    digest: string;
    trustRoot: null;
    verified: Array<{ format: string; signer: { kind: string; fingerprint: string } }>;
  }>(['verify', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.pub'), '-a', 'env=prod'], { home });
  assert.equal(v.digest, signed.digest);
  assert.equal(v.verified[0]?.format, 'bundle');
  assert.match(v.verified[0]?.signer.fingerprint ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(v.trustRoot, null);
  expectError(
    await scrydon(['verify', 'acme.fraud:1.2.0', '--key', join(work, 'other.pub')], { home }),
    'key_mismatch',
  );
  expectError(
    await scrydon(['verify', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.pub'), '-a', 'env=dev'], { home }),
    'claim_mismatch',
  );
  const insp = await json<{ receipts: Array<{ digest: string; signer: { fingerprint: string } }> }>(
    ['inspect', 'acme.fraud:1.2.0'],
    { home },
  );
  assert.equal(insp.receipts.length, 1, 'failed verifications leave no receipt');
  assert.equal(insp.receipts[0]?.signer.fingerprint, v.verified[0]?.signer.fingerprint);
  const text = await ok(['inspect', 'acme.fraud:1.2.0'], { home });
  assert.match(text.stdout, /Verification receipts \(1\):/);
});

test('--legacy writes the .sig tag; verify uses it when there is no bundle; an unsigned artifact: signature_not_found', async () => {
  const home = await builtHome();
  expectError(
    await scrydon(['verify', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.pub')], { home }),
    'signature_not_found',
  );
  const s = await json<{ signatures: Array<{ tag: string }> }>(
    ['sign', 'acme.fraud:1.2.0', '--legacy', '--key', join(work, 'cosign.key')],
    { home, env: ENV },
  );
  assert.match(s.signatures[0]?.tag ?? '', /^acme\.fraud:sha256-[0-9a-f]{64}\.sig$/);
  const v = await json<{ verified: Array<{ format: string }> }>(
    ['verify', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.pub')],
    { home },
  );
  assert.equal(v.verified[0]?.format, 'legacy');
});

/** A home whose store holds an artifact with a keyless bundle signature by `san`. */
async function keylessHome(san = IDENTITY): Promise<string> {
  const home = await tempDir();
  await storeKeylessArtifact(join(home, 'catalog'), sigstore, 'ghcr.io/acme/app:1', san);
  return home;
}

test('keyless: trust import/show, then verify with identity and issuer (exact or unanchored regexp) offline', async () => {
  const home = await keylessHome();
  expectError(
    await scrydon(
      ['verify', 'ghcr.io/acme/app:1', '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER],
      { home },
    ),
    'trust_missing',
  );
  const imported = await json<{ digest: string }>(['trust', 'import', join(work, 'trusted_root.json')], { home });
  const shown = await json<{
    digest: string;
    ageSeconds: number;
    contents: { certificateAuthorities: unknown[]; tlogs: unknown[] };
  }>(['trust', 'show'], { home });
  assert.equal(shown.digest, imported.digest);
  assert.equal(shown.contents.certificateAuthorities.length, 1);
  const v = await json<{ trustRoot: string; verified: Array<{ signer: { identity: string; issuer: string } }> }>(
    ['verify', 'ghcr.io/acme/app:1', '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER],
    { home },
  );
  assert.equal(v.trustRoot, imported.digest);
  assert.equal(v.verified[0]?.signer.identity, IDENTITY);
  await ok(
    [
      'verify',
      'ghcr.io/acme/app:1',
      '--certificate-identity-regexp',
      '^https://github\\.com/acme/app/',
      '--certificate-oidc-issuer',
      ISSUER,
    ],
    { home },
  );
  expectError(
    await scrydon(
      [
        'verify',
        'ghcr.io/acme/app:1',
        '--certificate-identity',
        'github.com/acme',
        '--certificate-oidc-issuer',
        ISSUER,
      ],
      { home },
    ),
    'identity_mismatch',
  );
  expectError(
    await scrydon(
      [
        'verify',
        'ghcr.io/acme/app:1',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        'https://accounts.google.com',
      ],
      { home },
    ),
    'issuer_mismatch',
  );
  expectError(
    await scrydon(
      ['verify', 'ghcr.io/acme/app:1', '--certificate-identity-regexp', '(?<=x)y', '--certificate-oidc-issuer', ISSUER],
      { home },
    ),
    'usage',
    2,
  );
  expectError(await scrydon(['trust', 'import', join(FIXTURES, '..', 'package.json')], { home }), 'trust_invalid');
});

async function policy(home: string, yaml: string): Promise<void> {
  await writeFile(join(home, 'policy.yaml'), yaml);
}

test('policy.yaml: secure scopes decide whom to trust; violations are verify_failed / registry_not_allowed naming the rule', async () => {
  const home = await keylessHome();
  await ok(['trust', 'import', join(work, 'trusted_root.json')], { home });
  const pub = await readFile(join(work, 'cosign.pub'), 'utf8');
  const keyless = `      - kind: cosign-keyless\n        certificateIdentity: ${IDENTITY}\n        certificateOidcIssuer: ${ISSUER}\n`;
  await policy(
    home,
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nallowedRegistries: [ghcr.io]\nscopes:\n  - name: acme releases\n    match: ghcr.io/acme/*\n    signatures:\n${keyless}`,
  );
  const v = await json<{ outcome: string; rule: string }>(['verify', 'ghcr.io/acme/app:1'], { home });
  assert.equal(v.outcome, 'verified');
  assert.match(v.rule, /scope "acme releases"/);

  await policy(
    home,
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nscopes:\n  - name: key only\n    match: "ghcr.io/**"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${pub
      .trimEnd()
      .split('\n')
      .map((l) => `          ${l}`)
      .join('\n')}\n`,
  );
  const failed = expectError(await scrydon(['verify', 'ghcr.io/acme/app:1'], { home }), 'verify_failed');
  assert.match(failed.stderr, /ghcr\.io\/acme\/app:1: .*rule: scope "key only"/);

  await policy(
    home,
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: permissive\nscopes:\n  - name: key only\n    match: "ghcr.io/**"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${pub
      .trimEnd()
      .split('\n')
      .map((l) => `          ${l}`)
      .join('\n')}\n`,
  );
  // verify's exit status is the answer: a failed signature fails it in every profile (permissive only warns at install)
  const strict = expectError(await scrydon(['verify', 'ghcr.io/acme/app:1'], { home }), 'verify_failed');
  assert.match(strict.stderr, /rule: scope "key only"/);

  // with verification turned off, verify has nothing to verify against: a usage error, never a pass
  await policy(home, 'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: disabled\n');
  const off = expectError(await scrydon(['verify', 'ghcr.io/acme/app:1'], { home }), 'usage', 2);
  assert.match(off.stderr, /nothing to verify .* turns verification off/);

  await policy(
    home,
    'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nallowedRegistries: [ghcr.io]\n',
  );
  const denied = expectError(
    await scrydon(['pull', '127.0.0.1:9/acme/app:1', '--plain-http'], { home }),
    'registry_not_allowed',
  );
  assert.match(denied.stderr, /127\.0\.0\.1:9\/acme\/app:1/);

  await policy(
    home,
    'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: strict\nscopes: [{name: x, match: "*", signatures: [{kind: cosign-key}]}]\n',
  );
  const bad = expectError(await scrydon(['verify', 'ghcr.io/acme/app:1'], { home }), 'policy_invalid');
  assert.match(bad.stderr, /profile/);
});

test('install obeys the policy: secure blocks an unverified pack (verify_failed), installs it once signed', async () => {
  const home = await builtHome();
  const pub = await readFile(join(work, 'cosign.pub'), 'utf8');
  await policy(
    home,
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nscopes:\n  - name: acme\n    match: "acme.*"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${pub
      .trimEnd()
      .split('\n')
      .map((l) => `          ${l}`)
      .join('\n')}\n`,
  );
  const denied = expectError(await scrydon(['install', 'acme.fraud:1.2.0'], { home }), 'verify_failed');
  assert.match(denied.stderr, /acme\.fraud:1\.2\.0: .*rule: scope "acme"/);
  await ok(['sign', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.key')], { home, env: ENV });
  await ok(['install', 'acme.fraud:1.2.0', '--no-deps'], { home }); // its dependency acme.core is not in this store
});
