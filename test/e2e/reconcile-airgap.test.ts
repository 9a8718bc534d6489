import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { makeGitRepo, type GitRepoFixture } from '../helpers/git-server.js';
import { ociCatalog, publishCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * The air gap, end to end: a connected SCRYDON_HOME reconciles an OCI source (signed packs in a real registry)
 * and a git source with --mirror-only, then `save --all`; a second SCRYDON_HOME registers the same sources,
 * `load`s the archive and runs `reconcile --offline` with the registry stopped and the git repository gone —
 * the same packs end up installed, their signatures verified there; a third home follows the lock that
 * travelled in the archive with `--offline --locked`.
 */

interface Run {
  source: string;
  outcome: string;
  mode?: string;
  revision: string;
  packs: Array<{ id: string; outcome: string; code?: string; detail?: string; digest?: string }>;
}
interface Lock {
  revision: string;
  packs: Array<{ id: string; version: string; digest: string; signer: string | null }>;
}

const PW = { COSIGN_PASSWORD: 'pw' };
let registry: RunningRegistry;
let repo: GitRepoFixture;
let keys: string;

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

async function addSources(o: RunOptions): Promise<void> {
  await ok(
    [
      'source',
      'add',
      'reg',
      '--type',
      'oci',
      '--url',
      `${registry.host}/acme/scrydon-catalog`,
      '--plain-http',
      '--signature-policy',
      'cosign-key',
      '--public-key',
      join(keys, 'cosign.pub'),
    ],
    o,
  );
  await ok(['source', 'add', 'lab', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'], o);
}

async function reconcile(o: RunOptions, ...args: string[]): Promise<Run[]> {
  const r = await scrydon(['reconcile', ...args, '--json'], o);
  if (r.code !== 0) throw new Error(`reconcile ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as Run[];
}

before(async () => {
  registry = await startRegistry();
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  const p = await env();
  const digests = new Map<string, string>();
  for (const [dir, id, version, path] of [
    ['acme-core', 'acme.core', '1.0.0', 'acme/core'],
    ['acme-fraud', 'acme.fraud', '1.2.0', 'acme/fraud'],
  ] as const) {
    digests.set(id, (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], p)).digest);
    await ok(['sign', `${id}:${version}`, '--key', join(keys, 'cosign.key')], { ...p, env: { ...p.env, ...PW } });
    await ok(['push', `${id}:${version}`, `${registry.host}/${path}:${version}`, '--plain-http'], p);
  }
  await publishCatalog(
    registry.host,
    'acme/scrydon-catalog',
    'catalog',
    ociCatalog([
      ['acme.core', '1.0.0', `${registry.host}/acme/core@${digests.get('acme.core')}`, 'cosign-key'],
      ['acme.fraud', '1.2.0', `${registry.host}/acme/fraud:1.2.0`, 'cosign-key'],
    ]),
  );
  repo = await makeGitRepo('lab');
  await repo.copy(join(FIXTURES, 'packs', 'acme-payments-integration'), 'packs/payments');
  await repo.write(
    'scrydon.yaml',
    'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.payments\n    version: 0.3.0\n    artifact: {kind: git-tar, ref: main, path: packs/payments}\n    signature: {kind: none}\n',
  );
  repo.commit('lab');
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

test('mirror-only → save --all → load → reconcile --offline (registry stopped, repository gone): the same packs, verified', async () => {
  // connected side
  const a = await env();
  await addSources(a);
  const mirrored = await reconcile(a, '--mirror-only');
  assert.deepEqual(
    mirrored.map((r) => [r.source, r.outcome, r.mode]),
    [
      ['reg', 'success', 'mirror-only'],
      ['lab', 'success', 'mirror-only'],
    ],
  );
  assert.ok(mirrored.every((r) => r.packs.every((p) => p.outcome === 'mirrored')));
  assert.deepEqual((await json<{ packs: unknown[] }>(['installed'], a)).packs, [], '--mirror-only installs nothing');
  const lockA = JSON.parse(await readFile(join(a.home, 'state', 'reg.lock.json'), 'utf8')) as Lock;
  assert.ok(lockA.packs.every((p) => p.signer?.startsWith('key ')));
  const labLockA = JSON.parse(await readFile(join(a.home, 'state', 'lab.lock.json'), 'utf8')) as Lock;
  const archive = join(await tempDir(), 'airgap.tar');
  await ok(['save', '--all', '-o', archive], a);

  // no route to the registry, and the git repository is gone
  await registry.stop();
  const moved = `${repo.bare}.away`;
  await rename(repo.bare, moved);
  try {
    const b = await env();
    await addSources(b);
    await ok(['load', '-i', archive], b);
    const runs = await reconcile(b, '--offline');
    assert.deepEqual(
      runs.map((r) => [r.source, r.outcome]),
      [
        ['reg', 'success'],
        ['lab', 'success'],
      ],
      JSON.stringify(runs),
    );
    const reg = runs[0];
    for (const p of reg?.packs ?? []) assert.match(p.detail ?? '', /active; signed by key /);
    const inst = await json<{ packs: Array<{ id: string; digest: string; status: string; source: string }> }>(
      ['installed'],
      b,
    );
    const want = [...lockA.packs, ...labLockA.packs].map((p) => [p.id, p.digest]).sort();
    assert.deepEqual(inst.packs.map((p) => [p.id, p.digest]).sort(), want, 'the digests the connected side verified');
    assert.deepEqual(
      inst.packs.map((p) => [p.id, p.status]),
      [
        ['acme.core', 'active'],
        ['acme.fraud', 'active'],
        ['acme.payments', 'pending-review'],
      ],
    );
    // an offline run whose catalog is not in the store fails with fetch_failed, and names the fix
    const c = await env();
    await addSources(c);
    const res = await scrydon(['reconcile', 'reg', '--offline'], c);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /fetch_failed: no catalog of source reg is in the store/);

    // --locked on a third machine: the lock came in the archive (no lock file there), and is followed exactly
    const d = await env();
    await addSources(d);
    await ok(['load', '-i', archive], d);
    const locked = await reconcile(d, '--offline', '--locked');
    assert.deepEqual(
      locked.map((r) => [r.source, r.outcome, r.mode]),
      [
        ['reg', 'success', 'offline+locked'],
        ['lab', 'success', 'offline+locked'],
      ],
    );
    const lockD = JSON.parse(await readFile(join(d.home, 'state', 'reg.lock.json'), 'utf8')) as Lock;
    assert.deepEqual(
      lockD.packs.map((p) => [p.id, p.digest, p.signer]),
      lockA.packs.map((p) => [p.id, p.digest, p.signer]),
    );
    assert.equal(lockD.revision, lockA.revision);
    // --locked with no lock anywhere is refused
    const e = await env();
    await ok(
      ['source', 'add', 'lab', '--type', 'git', '--url', `file://${moved}`, '--signature-policy', 'unsigned-allowed'],
      e,
    );
    const none = await scrydon(['reconcile', '--locked', '--offline'], e);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /fetch_failed|verify_failed/);
  } finally {
    await rename(moved, repo.bare);
    await registry.restart();
  }
});

test('--offline never reaches the network: a source whose catalog is missing fails without a connection attempt', async () => {
  const o = await env();
  await ok(
    [
      'source',
      'add',
      'far',
      '--type',
      'oci',
      '--url',
      '10.255.255.1:5000/acme/catalog',
      '--plain-http',
      '--signature-policy',
      'unsigned-allowed',
    ],
    o,
  );
  const started = Date.now();
  const r = await scrydon(['reconcile', '--offline'], o);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /--offline forbids fetching it/);
  assert.ok(Date.now() - started < 20_000);
  expectError(await scrydon(['reconcile', '--watch', '--locked'], o), 'usage', 2);
});
