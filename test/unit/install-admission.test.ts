import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  homePaths,
  installPack,
  isScrydonError,
  Store,
  storePolicyAdmission,
  type Admission,
  type HomePaths,
} from '../../src/index.js';
import type { SecurityPolicy } from '../../src/config/policy.js';
import { admitUnderPolicy } from '../../src/install/admission.js';
import { generateKeyPair, parsePrivateKey } from '../../src/signature/keys.js';
import { signArtifact } from '../../src/signature/sign.js';
import { cleanupTemps, tempDir, treeHash } from '../helpers/cli.js';
import { storeSamplePack } from '../helpers/make-pack.js';

/**
 * Verify before install is the core install path's rule, not the CLI's: the library's installPack (what
 * src/index.ts exports) applies policy.yaml itself, and runs only with an Admission made by the install layer.
 */

const PASSWORD = 'admission-test';

function policyWithKey(publicPem: string): string {
  const key = publicPem
    .trimEnd()
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n');
  return `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nscopes:\n  - name: acme\n    match: "acme.*"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${key}\n`;
}

async function refused(home: string, run: () => Promise<unknown>, code: string): Promise<void> {
  const before_ = await treeHash(home);
  await assert.rejects(run, (e: unknown) => isScrydonError(e) && e.code === code);
  assert.equal(await treeHash(home), before_, 'SCRYDON_HOME changed');
}

describe('installPack applies the store policy itself', () => {
  let home: string;
  let paths: HomePaths;
  let store: Store;
  let publicPem: string;
  let privatePem: string;
  const admission = (): Admission =>
    storePolicyAdmission({ policyFile: join(paths.home, 'policy.yaml'), trustDir: paths.trust });

  before(async () => {
    home = await tempDir();
    paths = homePaths(home);
    await storeSamplePack(home, 'scrydon');
    await storeSamplePack(home, 'scrydon', { id: 'acme.other' });
    store = await Store.open(paths.catalog);
    ({ publicPem, privatePem } = await generateKeyPair(PASSWORD));
    await writeFile(join(home, 'policy.yaml'), policyWithKey(publicPem));
  });
  after(cleanupTemps);

  test('secure policy, unsigned pack: verify_failed, nothing installed', async () => {
    await refused(
      home,
      () => installPack(store, 'acme.fraud:1.0.0', { root: paths.packs, admission: admission() }),
      'verify_failed',
    );
  });

  test('an admission it did not make (forged, or none) is refused before anything is read', async () => {
    const forged = Object.freeze({ by: 'me' }) as unknown as Admission;
    await refused(
      home,
      () => installPack(store, 'acme.fraud:1.0.0', { root: paths.packs, admission: forged }),
      'usage',
    );
    await refused(home, () => installPack(store, 'acme.fraud:1.0.0', { root: paths.packs } as never), 'usage');
  });

  test("an admission holds for its own digest only: another pack's is refused", async () => {
    const other = await store.resolve('acme.other:1.0.0');
    const permit: SecurityPolicy = {
      apiVersion: 'scrydon.io/v1',
      kind: 'SecurityPolicy',
      profile: 'secure',
      scopes: [{ name: 'any', match: '**', signatures: [{ kind: 'none' }] }],
    };
    const { admission: forOther } = await admitUnderPolicy(store, other, {
      policy: permit,
      policySource: 'test',
      ref: 'acme.other:1.0.0',
      name: 'acme.other',
      trust: undefined,
      storePolicy: undefined,
    });
    await refused(
      home,
      () => installPack(store, 'acme.fraud:1.0.0', { root: paths.packs, admission: forOther }),
      'verify_failed',
    );
    const r = await installPack(store, 'acme.other:1.0.0', { root: paths.packs, admission: forOther });
    assert.equal(r.action, 'installed');
  });

  test('signed with the key the policy names: installs', async () => {
    const d = await store.resolve('acme.fraud:1.0.0');
    const key = await parsePrivateKey(privatePem, PASSWORD, 'test key');
    await signArtifact(store, d, key, { dockerReference: 'acme.fraud', legacyTagRef: () => 'acme.fraud:unused' });
    const r = await installPack(store, 'acme.fraud:1.0.0', { root: paths.packs, admission: admission() });
    assert.equal(r.action, 'installed');
    assert.deepEqual(r.warnings, []);
  });

  test('permissive: an unverified pack installs, with the warning returned', async () => {
    const h = await tempDir();
    await storeSamplePack(h, 'scrydon');
    await writeFile(join(h, 'policy.yaml'), policyWithKey(publicPem).replace('profile: secure', 'profile: permissive'));
    const p = homePaths(h);
    const r = await installPack(await Store.open(p.catalog), 'acme.fraud:1.0.0', {
      root: p.packs,
      admission: storePolicyAdmission({ policyFile: join(h, 'policy.yaml'), trustDir: p.trust }),
    });
    assert.equal(r.action, 'installed');
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /acme\.fraud:1\.0\.0: .*allowed by the permissive profile/);
  });
});
