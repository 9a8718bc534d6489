import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';

/**
 * The site's policy.yaml is the floor under every source (issue 13 §1: store policy enforced by the core install
 * path, whoever calls it). A source that allows unsigned packs cannot get one past a secure policy.yaml, neither
 * by reconcile nor by approve; the same pack installs once the policy allows it.
 */

after(cleanupTemps);

test('secure policy.yaml + an unsigned-allowed source: reconcile installs nothing, approve refuses', async () => {
  const r = await makeGitRepo('site-policy');
  await r.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await r.write(
    'scrydon.yaml',
    [
      'apiVersion: scrydon.io/v1',
      'kind: PackCatalog',
      'packs:',
      '  - id: acme.core',
      '    version: 1.0.0',
      '    artifact: {kind: git-tar, ref: main, path: packs/acme-core}',
      '    signature: {kind: none}',
      '',
    ].join('\n'),
  );
  r.commit('core');
  const keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: { COSIGN_PASSWORD: 'pw' } });
  const o = { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
  const keyYaml = (await readFile(join(keys, 'cosign.pub'), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => `          ${l}`)
    .join('\n');
  await writeFile(
    join(o.home, 'policy.yaml'),
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nscopes:\n  - name: all\n    match: "**"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${keyYaml}\n`,
  );
  await ok(['source', 'add', 'lab', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);

  const res = await scrydon(['reconcile', '--json'], o);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  const pack = (JSON.parse(res.stdout) as Array<{ packs: Array<{ id: string; outcome: string; detail?: string }> }>)[0]
    ?.packs[0];
  assert.equal(pack?.outcome, 'failed', JSON.stringify(pack));
  assert.match(pack?.detail ?? '', /verify_failed|scope "all"/);
  assert.deepEqual((await json<{ packs: unknown[] }>(['installed'], o)).packs, []);

  // the same pack reconciled with the policy relaxed waits in pending-review; approving it under the secure policy is
  // refused
  await writeFile(
    join(o.home, 'policy.yaml'),
    'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: permissive\n',
  );
  await ok(['reconcile', '--force'], o);
  assert.equal((await json<{ packs: Array<{ status: string }> }>(['installed'], o)).packs[0]?.status, 'pending-review');
  await writeFile(
    join(o.home, 'policy.yaml'),
    `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nscopes:\n  - name: all\n    match: "**"\n    signatures:\n      - kind: cosign-key\n        publicKey: |\n${keyYaml}\n`,
  );
  expectError(await scrydon(['approve', 'acme.core@1.0.0'], o), 'verify_failed');
  assert.equal((await json<{ packs: Array<{ status: string }> }>(['installed'], o)).packs[0]?.status, 'pending-review');
});
