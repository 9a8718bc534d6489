import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { git, makeGitRepo, startGitServer, type GitRepoFixture, type RunningGitServer } from '../helpers/git-server.js';
import { deployKey, haveSshd, startSshServer, type RunningSshServer } from '../helpers/ssh-server.js';

/**
 * Reconcile of git sources from real repositories (file:// and smart HTTP with a PAT): git-tar entries packed
 * byte-for-byte as `scrydon build` packs them, installed; run history and lock; change detection by commit;
 * version bumps; parse_failed; the reference's lifecycle (retire/restore, removed entries, disabled sources,
 * pending-review and approve, explicit install); dependencies in order, cycles and unsatisfiable ranges.
 */

interface Run {
  source: string;
  outcome: string;
  revision: string;
  trigger: string;
  code?: string;
  detail?: string;
  unsignedAllowed: boolean;
  packs: Array<{ id: string; version: string; outcome: string; code?: string; detail?: string; digest?: string }>;
}
interface Installed {
  packs: Array<{ id: string; version: string; digest: string; source: string; status: string }>;
}

const PAT = 'glpat-reconcile-token-never-print-42';

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

type Entry = { id: string; version: string; path: string; ref?: string; sig?: string };

function catalog(entries: readonly Entry[]): string {
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (const e of entries) {
    lines.push(
      `  - id: ${e.id}`,
      `    version: ${e.version}`,
      `    artifact: {kind: git-tar, ref: ${e.ref ?? 'main'}, path: ${e.path}}`,
      `    signature: {kind: ${e.sig ?? 'none'}}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A small pack directory: one ontology file; dependencies as given. */
async function writePack(
  r: GitRepoFixture,
  path: string,
  id: string,
  version: string,
  deps: Record<string, string> = {},
): Promise<void> {
  const pj = {
    schemaVersion: 1,
    package: { id, version },
    contents: [{ kind: 'ontology', path: 'ontology' }],
    installOrder: ['ontology'],
    ...(Object.keys(deps).length ? { dependencies: deps } : {}),
  };
  await r.write(`${path}/pack.json`, JSON.stringify(pj, null, 2) + '\n');
  await r.write(`${path}/ontology/entities.json`, JSON.stringify({ id, version }) + '\n');
}

async function installed(o: RunOptions): Promise<Map<string, Installed['packs'][number]>> {
  return new Map((await json<Installed>(['installed'], o)).packs.map((p) => [p.id, p]));
}

async function reconcile(o: RunOptions, ...args: string[]): Promise<Run[]> {
  const r = await scrydon(['reconcile', ...args, '--json'], o);
  if (r.code !== 0 && r.code !== 1) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run[];
}

let repo: GitRepoFixture;

before(async () => {
  repo = await makeGitRepo('acme');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await repo.copy(join(FIXTURES, 'packs', 'acme-fraud'), 'packs/acme-fraud');
  await repo.write(
    'scrydon.yaml',
    catalog([
      { id: 'acme.core', version: '1.0.0', path: 'packs/acme-core' },
      { id: 'acme.fraud', version: '1.2.0', path: 'packs/acme-fraud' },
    ]),
  );
  repo.commit('two packs');
});

after(cleanupTemps);

describe('a git source (file://)', () => {
  test('installs git-tar entries with the same bytes as scrydon build, records the run and a lock, then skips an unchanged commit', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    const [run] = await reconcile(o);
    assert.equal(run?.outcome, 'success', JSON.stringify(run));
    assert.equal(run?.unsignedAllowed, true);
    assert.equal(run?.revision, git(repo.work, 'rev-parse', 'HEAD'));
    assert.deepEqual(
      run?.packs.map((p) => [p.id, p.outcome]),
      [
        ['acme.core', 'installed'],
        ['acme.fraud', 'installed'],
      ],
    );

    // the same bytes as `scrydon build` of that directory, in a clean home
    const b = await env();
    const built = await json<{ digest: string }>(['build', join(repo.work, 'packs', 'acme-core')], b);
    const inst = await installed(o);
    assert.equal(inst.get('acme.core')?.digest, built.digest);
    assert.equal(inst.get('acme.core')?.source, 'acme');
    assert.equal(inst.get('acme.core')?.status, 'pending-review');
    await stat(join(o.home, 'packs', 'acme.core', '1.0.0', 'ontology', 'entities.json'));

    const lock = JSON.parse(await readFile(join(o.home, 'state', 'acme.lock.json'), 'utf8')) as {
      revision: string;
      packs: Array<{ id: string; digest: string; signer: string | null }>;
    };
    assert.equal(lock.revision, run?.revision);
    assert.deepEqual(
      lock.packs.map((p) => [p.id, p.digest]),
      [
        ['acme.core', built.digest],
        ['acme.fraud', inst.get('acme.fraud')?.digest],
      ],
    );

    // unchanged commit: the run stops after the ls-remote; nothing changes but the history and state
    const before = await treeHash(join(o.home, 'packs'));
    const [again] = await reconcile(o);
    assert.equal(again?.outcome, 'unchanged');
    assert.equal(await treeHash(join(o.home, 'packs')), before);
    // --force runs anyway; the packs are unchanged (keyed by id + version)
    const [forced] = await reconcile(o, '--force');
    assert.deepEqual(
      forced?.packs.map((p) => p.outcome),
      ['unchanged', 'unchanged'],
    );
    const hist = await json<Run[]>(['source', 'history', 'acme'], o);
    assert.deepEqual(
      hist.map((h) => h.outcome),
      ['success', 'unchanged', 'success'],
    );
    assert.match((await ok(['source', 'history', 'acme'], o)).stdout, /UNSIGNED-ALLOWED/);
  });

  test('--locked installs the locked digests, packing git-tar entries at the locked commit even after the branch moved', async () => {
    const r = await makeGitRepo('locked');
    await writePack(r, 'packs/a', 'acme.alpha', '1.0.0');
    await r.write('scrydon.yaml', catalog([{ id: 'acme.alpha', version: '1.0.0', path: 'packs/a' }]));
    const first = r.commit('v1');
    const a = await env();
    await ok(['source', 'add', 's', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], a);
    await reconcile(a);
    const lockText = await readFile(join(a.home, 'state', 's.lock.json'), 'utf8');
    const lock = JSON.parse(lockText) as { revision: string; packs: Array<{ digest: string; revision?: string }> };
    assert.equal(lock.packs[0]?.revision, first);
    // main moves on (same version, other bytes); a second machine follows the lock, not the branch
    await r.write('packs/a/ontology/entities.json', '{"changed": true}\n');
    r.commit('same version, other content');
    const b = await env();
    await ok(['source', 'add', 's', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], b);
    const { writeFile } = await import('node:fs/promises');
    await mkdir(join(b.home, 'state'), { recursive: true });
    await writeFile(join(b.home, 'state', 's.lock.json'), lockText);
    const [locked] = await reconcile(b, '--locked');
    assert.equal(locked?.outcome, 'success', JSON.stringify(locked));
    assert.equal(locked?.revision, first);
    assert.equal((await installed(b)).get('acme.alpha')?.digest, lock.packs[0]?.digest);
    // a lock whose digest nothing reproduces fails verify_failed, and nothing is installed
    const c = await env();
    await ok(['source', 'add', 's', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], c);
    await mkdir(join(c.home, 'state'), { recursive: true });
    await writeFile(
      join(c.home, 'state', 's.lock.json'),
      lockText.replace(lock.packs[0]?.digest ?? '', `sha256:${'0'.repeat(64)}`),
    );
    const [bad] = await reconcile(c, '--locked');
    assert.equal(bad?.packs[0]?.code, 'verify_failed');
    assert.match(bad?.packs[0]?.detail ?? '', /digest_mismatch: .*not the locked sha256:0{64}/);
    assert.equal((await installed(c)).size, 0);
  });

  test('a new commit triggers a run; a release is picked up only when its version is bumped', async () => {
    const r = await makeGitRepo('bump');
    await writePack(r, 'packs/a', 'acme.alpha', '1.0.0');
    await r.write('scrydon.yaml', catalog([{ id: 'acme.alpha', version: '1.0.0', path: 'packs/a' }]));
    r.commit('v1');
    const o = await env();
    await ok(['source', 'add', 's', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    await reconcile(o);
    const first = (await installed(o)).get('acme.alpha');
    // content changes without a version bump: a new commit, a run, but nothing reinstalled
    await r.write('packs/a/ontology/extra.json', '{}\n');
    r.commit('content only');
    const [run] = await reconcile(o);
    assert.equal(run?.outcome, 'success');
    assert.equal(run?.packs[0]?.outcome, 'unchanged');
    assert.equal((await installed(o)).get('acme.alpha')?.digest, first?.digest);
    // the version bump is picked up
    await writePack(r, 'packs/a', 'acme.alpha', '1.1.0');
    await r.write('scrydon.yaml', catalog([{ id: 'acme.alpha', version: '1.1.0', path: 'packs/a' }]));
    r.commit('v1.1');
    const [bump] = await reconcile(o);
    assert.equal(bump?.packs[0]?.outcome, 'installed');
    assert.match(bump?.packs[0]?.detail ?? '', /replaced 1\.0\.0/);
    assert.equal((await installed(o)).get('acme.alpha')?.version, '1.1.0');
  });

  test('a typo in scrydon.yaml is parse_failed naming the key and line; nothing is installed and the run is retried in full', async () => {
    const r = await makeGitRepo('typo');
    await writePack(r, 'packs/a', 'acme.alpha', '1.0.0');
    await r.write(
      'scrydon.yaml',
      catalog([{ id: 'acme.alpha', version: '1.0.0', path: 'packs/a' }]).replace('    version:', '    verison:'),
    );
    r.commit('typo');
    const o = await env();
    await ok(['source', 'add', 't', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    const res = await scrydon(['reconcile'], o);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /parse_failed/);
    assert.match(res.stdout, /packs\[0\]: unknown key 'verison'.*\(line 5\)/);
    assert.equal((await installed(o)).size, 0);
    const [again] = await reconcile(o);
    assert.equal(again?.outcome, 'failed', 'a failed run is not remembered as reconciled');
    assert.equal(again?.code, 'parse_failed');
    const shown = await json<{ state: { consecutiveFailures: number; lastRevision?: string } }>(
      ['source', 'show', 't'],
      o,
    );
    assert.equal(shown.state.consecutiveFailures, 2);
    assert.equal(shown.state.lastRevision, undefined);
  });

  test('one broken pack does not stop its siblings; the run fails and is retried', async () => {
    const r = await makeGitRepo('mixed');
    await writePack(r, 'packs/good', 'acme.good', '1.0.0');
    await r.write('packs/bad/pack.json', '{"schemaVersion": 1}\n');
    await writePack(r, 'packs/liar', 'acme.other', '1.0.0');
    await symlink('/etc', join(r.work, 'packs', 'evil'));
    await r.write(
      'scrydon.yaml',
      catalog([
        { id: 'acme.evil', version: '1.0.0', path: 'packs/evil' },
        { id: 'acme.good', version: '1.0.0', path: 'packs/good' },
        { id: 'acme.bad', version: '1.0.0', path: 'packs/bad' },
        { id: 'acme.liar', version: '1.0.0', path: 'packs/liar' },
        { id: 'acme.missing', version: '1.0.0', path: 'packs/nowhere' },
      ]),
    );
    r.commit('mixed');
    const o = await env();
    await ok(['source', 'add', 'm', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    const [run] = await reconcile(o);
    assert.equal(run?.outcome, 'failed');
    const by = new Map(run?.packs.map((p) => [p.id, p]));
    assert.equal(by.get('acme.good')?.outcome, 'installed');
    assert.equal(by.get('acme.bad')?.code, 'fetch_failed');
    assert.match(by.get('acme.bad')?.detail ?? '', /pack_invalid/);
    assert.equal(by.get('acme.liar')?.code, 'install_failed');
    assert.match(by.get('acme.liar')?.detail ?? '', /is acme\.other 1\.0\.0/);
    assert.equal(by.get('acme.missing')?.code, 'fetch_failed');
    assert.equal(by.get('acme.evil')?.code, 'fetch_failed');
    assert.match(by.get('acme.evil')?.detail ?? '', /unsafe_path: .*leads outside the repository/);
    assert.deepEqual([...(await installed(o)).keys()], ['acme.good']);
    assert.equal(
      (await json<{ state: { lastRevision?: string } }>(['source', 'show', 'm'], o)).state.lastRevision,
      undefined,
    );
  });
});

describe('lifecycle: the source catalog wins', () => {
  test('retire/restore, manual packs stay retired, removed entries and disabled sources retire, approve and explicit install activate', async () => {
    const r = await makeGitRepo('life');
    await writePack(r, 'packs/a', 'acme.alpha', '1.0.0');
    await writePack(r, 'packs/b', 'acme.beta', '1.0.0');
    await r.write(
      'scrydon.yaml',
      catalog([
        { id: 'acme.alpha', version: '1.0.0', path: 'packs/a' },
        { id: 'acme.beta', version: '1.0.0', path: 'packs/b' },
      ]),
    );
    r.commit('two');
    const o = await env();
    await ok(['source', 'add', 'life', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    // a manually installed pack, then retired: no source restores it
    await ok(['build', join(FIXTURES, 'packs', 'acme-payments-integration')], o);
    await ok(['install', 'acme.payments:0.3.0'], o);
    await ok(['retire', 'acme.payments'], o);
    await reconcile(o);
    let inst = await installed(o);
    assert.equal(inst.get('acme.alpha')?.status, 'pending-review');
    assert.equal(inst.get('acme.payments')?.status, 'retired');

    // retire a source-managed pack: hidden until the next run, which restores it although the commit is unchanged
    const ret = await ok(['retire', 'acme.alpha'], o);
    assert.match(ret.stdout, /source life restores it/);
    assert.equal((await installed(o)).get('acme.alpha')?.status, 'retired');
    const [restored] = await reconcile(o);
    assert.equal(restored?.packs.find((p) => p.id === 'acme.alpha')?.outcome, 'restored');
    inst = await installed(o);
    assert.equal(inst.get('acme.alpha')?.status, 'pending-review');
    assert.equal(inst.get('acme.payments')?.status, 'retired');

    // approve: pending-review becomes active; an explicit install does the same
    await ok(['approve', 'acme.alpha@1.0.0'], o);
    expectError(await scrydon(['approve', 'acme.beta@9.9.9'], o), 'not_installed');
    expectError(await scrydon(['approve', 'acme.beta'], o), 'usage', 2);
    const betaRef =
      (await json<Array<{ ref: string }>>(['ls'], o)).find((t) => t.ref.endsWith('/acme.beta:1.0.0'))?.ref ?? '';
    await ok(['install', betaRef], o);
    inst = await installed(o);
    assert.equal(inst.get('acme.alpha')?.status, 'active');
    assert.equal(inst.get('acme.beta')?.status, 'active');

    // an entry removed from scrydon.yaml retires its pack (blobs stay)
    await r.write('scrydon.yaml', catalog([{ id: 'acme.alpha', version: '1.0.0', path: 'packs/a' }]));
    r.commit('drop beta');
    const [dropped] = await reconcile(o);
    assert.equal(dropped?.packs.find((p) => p.id === 'acme.beta')?.outcome, 'retired');
    assert.equal((await installed(o)).get('acme.beta')?.status, 'retired');
    assert.ok((await json<Array<{ ref: string }>>(['ls'], o)).some((t) => t.ref.endsWith('/acme.beta:1.0.0')));

    // disabling the source retires its packs; enabling it restores them on the next run
    const dis = await ok(['source', 'disable', 'life'], o);
    assert.match(dis.stdout, /retired acme\.alpha 1\.0\.0/);
    assert.equal((await installed(o)).get('acme.alpha')?.status, 'retired');
    assert.deepEqual(await reconcile(o), []);
    expectError(await scrydon(['reconcile', 'life'], o), 'usage', 2);
    await ok(['source', 'enable', 'life'], o);
    await reconcile(o);
    assert.equal((await installed(o)).get('acme.alpha')?.status, 'pending-review');
    // removing the source retires too
    await ok(['source', 'rm', 'life'], o);
    assert.equal((await installed(o)).get('acme.alpha')?.status, 'retired');
  });
});

describe('dependencies', () => {
  test('install in dependency order; an unsatisfiable range and a cycle are clear install_failed errors', async () => {
    const r = await makeGitRepo('deps');
    await writePack(r, 'packs/app', 'acme.app', '1.0.0', { 'acme.lib': '^2.0.0' });
    await writePack(r, 'packs/lib', 'acme.lib', '2.1.0');
    await writePack(r, 'packs/needy', 'acme.needy', '1.0.0', { 'acme.lib': '^3.0.0' });
    await writePack(r, 'packs/x', 'acme.x', '1.0.0', { 'acme.y': '*' });
    await writePack(r, 'packs/y', 'acme.y', '1.0.0', { 'acme.x': '>=1' });
    await r.write(
      'scrydon.yaml',
      catalog([
        { id: 'acme.app', version: '1.0.0', path: 'packs/app' },
        { id: 'acme.lib', version: '2.1.0', path: 'packs/lib' },
        { id: 'acme.needy', version: '1.0.0', path: 'packs/needy' },
        { id: 'acme.x', version: '1.0.0', path: 'packs/x' },
        { id: 'acme.y', version: '1.0.0', path: 'packs/y' },
      ]),
    );
    r.commit('deps');
    const o = await env();
    await ok(['source', 'add', 'd', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    const [run] = await reconcile(o);
    const by = new Map(run?.packs.map((p) => [p.id, p]));
    assert.equal(by.get('acme.app')?.outcome, 'installed');
    assert.equal(by.get('acme.lib')?.outcome, 'installed');
    assert.equal(by.get('acme.needy')?.code, 'install_failed');
    assert.match(
      by.get('acme.needy')?.detail ?? '',
      /needs acme\.lib \^3\.0\.0, but acme\.lib is not installed; this run installs acme\.lib 2\.1\.0/,
    );
    assert.match(
      by.get('acme.x')?.detail ?? '',
      /dependency cycle: acme\.x 1\.0\.0 → acme\.y 1\.0\.0 → acme\.x 1\.0\.0/,
    );
    assert.equal(by.get('acme.y')?.code, 'install_failed');
    const inst = await installed(o);
    assert.ok(
      Date.parse(inst.get('acme.lib')?.['installedAt' as never] ?? '') <=
        Date.parse(inst.get('acme.app')?.['installedAt' as never] ?? ''),
      'lib before app',
    );
    assert.deepEqual([...inst.keys()].sort(), ['acme.app', 'acme.lib']);

    // save of a pack carries its dependencies (resolved in the store), unless told not to
    const tags = (await json<Array<{ ref: string }>>(['ls'], o)).map((t) => t.ref);
    const app = tags.find((t) => t.endsWith('/acme.app:1.0.0')) ?? '';
    const lib = tags.find((t) => t.endsWith('/acme.lib:2.1.0')) ?? '';
    const archive = join(await tempDir(), 'app.tar');
    const saved = await json<{ refs: Array<{ ref: string }> }>(['save', app, '-o', archive], o);
    assert.deepEqual(
      saved.refs.map((r) => r.ref),
      [app, lib],
    );
    const alone = await json<{ refs: Array<{ ref: string }> }>(['save', app, '-o', archive, '--no-dependencies'], o);
    assert.deepEqual(
      alone.refs.map((r) => r.ref),
      [app],
    );
    const needy = tags.find((t) => t.endsWith('/acme.needy:1.0.0')) ?? '';
    expectError(await scrydon(['save', needy, '-o', archive], o), 'not_found');
  });
});

describe('dependencies: a dependency that fails to install', () => {
  test('its dependents are install_failed naming it; packs beside them install; the next run retries both', async () => {
    const r = await makeGitRepo('deps-fail');
    await writePack(r, 'packs/app', 'acme.app', '1.0.0', { 'acme.lib': '^2.0.0' });
    await writePack(r, 'packs/lib', 'acme.lib', '2.1.0');
    await writePack(r, 'packs/other', 'acme.other', '1.0.0');
    await r.write(
      'scrydon.yaml',
      catalog([
        // the dependent first: it waits for lib, which installs (and fails) as soon as it is mirrored
        { id: 'acme.app', version: '1.0.0', path: 'packs/app' },
        { id: 'acme.lib', version: '2.1.0', path: 'packs/lib' },
        { id: 'acme.other', version: '1.0.0', path: 'packs/other' },
      ]),
    );
    r.commit('deps-fail');
    const o = await env();
    await ok(['source', 'add', 'f', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);
    // a file where lib's directory must go: its install fails after it was mirrored and verified
    const root = join(o.home, 'packs');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'acme.lib'), 'in the way');
    const [run] = await reconcile(o);
    const by = new Map(run?.packs.map((p) => [p.id, p]));
    assert.equal(by.get('acme.lib')?.code, 'install_failed');
    assert.equal(by.get('acme.app')?.code, 'install_failed');
    assert.match(by.get('acme.app')?.detail ?? '', /dependency acme\.lib 2\.1\.0 failed in this run/);
    assert.equal(by.get('acme.other')?.outcome, 'installed');
    assert.deepEqual([...(await installed(o)).keys()], ['acme.other']);
    assert.deepEqual((await readdir(root)).sort(), ['acme.lib', 'acme.other', 'installed.json'], 'no staging left');
    await rm(join(root, 'acme.lib'));
    const [again] = await reconcile(o);
    assert.equal(again?.outcome, 'success');
    assert.deepEqual([...(await installed(o)).keys()].sort(), ['acme.app', 'acme.lib', 'acme.other']);
  });
});

describe('smart HTTP with a PAT', () => {
  let server: RunningGitServer;
  before(async () => {
    server = await startGitServer(join(repo.bare, '..'), PAT);
  });
  after(async () => server?.close());

  test('reconciles through git http-backend; an unchanged commit costs only the ref listing', async () => {
    const o = await env();
    const url = `${server.base}/acme.git`;
    await ok(
      [
        'source',
        'add',
        'h',
        '--type',
        'git',
        '--url',
        url,
        '--plain-http',
        '--credential-stdin',
        '--signature-policy',
        'unsigned-allowed',
      ],
      { ...o, input: PAT },
    );
    const res = await scrydon(['reconcile'], o);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.ok(!res.stdout.includes(PAT) && !res.stderr.includes(PAT));
    assert.equal((await installed(o)).size, 2);
    assert.ok(server.requests.every((q) => q.authorized || q.status === 401));
    server.requests.length = 0;
    const [again] = await reconcile(o);
    assert.equal(again?.outcome, 'unchanged');
    // protocol v2: the ref advertisement and one ls-refs command; no fetch
    assert.deepEqual(
      server.requests.map((q) => q.path),
      ['/acme.git/info/refs', '/acme.git/git-upload-pack'],
      JSON.stringify(server.requests),
    );
    const history = JSON.stringify(await json<Run[]>(['source', 'history', 'h'], o));
    assert.ok(!history.includes(PAT));
    assert.ok(!(await readFile(join(o.home, 'state', 'h', 'runs.jsonl'), 'utf8')).includes(PAT));
  });

  test('a wrong PAT is a fetch_failed run that never shows the token', async () => {
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'h',
        '--type',
        'git',
        '--url',
        `${server.base}/acme.git`,
        '--plain-http',
        '--credential-stdin',
        '--signature-policy',
        'unsigned-allowed',
      ],
      { ...o, input: 'wrong-token-secret-99' },
    );
    const res = await scrydon(['reconcile'], o);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /fetch_failed/);
    assert.ok(!res.stdout.includes('wrong-token-secret-99') && !res.stderr.includes('wrong-token-secret-99'));
  });
});

describe(
  'SSH with a deploy key',
  { skip: !haveSshd() && 'OpenSSH sshd is not installed (scripts/test-setup installs it)' },
  () => {
    let sshd: RunningSshServer;
    let key: { privateKey: string; publicKey: string };
    before(async () => {
      key = await deployKey();
      sshd = await startSshServer(key.publicKey);
    });
    after(async () => sshd?.stop());

    test('reconciles over ssh:// with the stored deploy key; the host key is pinned on first use; the key is never shown', async () => {
      const o = await env();
      await ok(
        [
          'source',
          'add',
          's',
          '--type',
          'git',
          '--url',
          sshd.url(repo.bare),
          '--credential-stdin',
          '--signature-policy',
          'unsigned-allowed',
        ],
        { ...o, input: key.privateKey },
      );
      const res = await scrydon(['reconcile', '--json'], o);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const [run] = JSON.parse(res.stdout) as Run[];
      assert.equal(run?.outcome, 'success');
      assert.deepEqual([...(await installed(o)).keys()], ['acme.core', 'acme.fraud']);
      // every base64 line but the first (OpenSSH's fixed header): the secret part of the key
      const secretLines = key.privateKey
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'))
        .slice(1);
      assert.ok(secretLines.length >= 2);
      const shown = (out: string): boolean => secretLines.some((l) => out.includes(l));
      assert.ok(!shown(res.stdout) && !shown(res.stderr));
      assert.match(await readFile(join(o.home, 'state', 'known_hosts'), 'utf8'), /ssh-ed25519 /);

      // the server now presents another host key: refused, not silently accepted
      await sshd.rekey();
      const changed = await scrydon(['reconcile', '--force', '--json'], o);
      assert.equal(changed.code, 1);
      const [bad] = JSON.parse(changed.stdout) as Run[];
      assert.equal(bad?.code, 'fetch_failed', JSON.stringify(bad));
      assert.match(bad?.detail ?? '', /host key|HOST IDENTIFICATION/i);
      assert.ok(!shown(changed.stdout) && !shown(changed.stderr));
      assert.ok(!shown(await readFile(join(o.home, 'state', 's', 'runs.jsonl'), 'utf8')), 'nor in the run history');
    });

    test('a deploy key the server does not know is a fetch_failed run', async () => {
      const o = await env();
      const other = await deployKey();
      await ok(
        [
          'source',
          'add',
          's',
          '--type',
          'git',
          '--url',
          sshd.url(repo.bare),
          '--credential-stdin',
          '--signature-policy',
          'unsigned-allowed',
        ],
        { ...o, input: other.privateKey },
      );
      const res = await scrydon(['reconcile', '--json'], o);
      assert.equal(res.code, 1);
      const [run] = JSON.parse(res.stdout) as Run[];
      assert.equal(run?.code, 'fetch_failed');
      assert.match(run?.detail ?? '', /Permission denied|publickey/i);
      assert.deepEqual((await installed(o)).size, 0);
    });
  },
);

describe('scripted and concurrent reconciles', () => {
  test('reconcile -f reads sources from a file without registering them (trigger file)', async () => {
    const o = await env();
    const file = join(await tempDir(), 'sources.yaml');
    await mkdir(join(file, '..'), { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      file,
      [
        'apiVersion: scrydon.io/v1',
        'kind: SourceList',
        'sources:',
        '  - name: scripted',
        '    type: git',
        `    url: ${repo.url}`,
        '    signaturePolicy: {kind: unsigned-allowed}',
        '',
      ].join('\n'),
    );
    const [run] = await reconcile(o, '-f', file);
    assert.equal(run?.trigger, 'file');
    assert.equal(run?.outcome, 'success');
    assert.deepEqual(await json<unknown[]>(['source', 'ls'], o), []);
    assert.match((await ok(['source', 'ls', '-f', file], o)).stdout, /scripted .* \(read-only\)/);
    assert.match(
      (await ok(['source', 'show', 'scripted', '-f', file], o)).stdout,
      /managed by file .*last reconciled revision: [0-9a-f]{40}/s,
    );
    assert.equal((await installed(o)).get('acme.core')?.source, 'scripted');
    await writeFile(
      file,
      'apiVersion: scrydon.io/v1\nkind: SourceList\nsources:\n  - name: bad\n    type: git\n    ulr: x\n',
    );
    expectError(await scrydon(['reconcile', '-f', file], o), 'config_invalid');
  });

  test('one reconcile per store: with another holding the lock, --no-wait fails fast with reconcile_busy', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    await mkdir(join(o.home, 'state', 'reconcile.lock'), { recursive: true });
    expectError(await scrydon(['reconcile', '--no-wait'], o), 'reconcile_busy');
    await rm(join(o.home, 'state', 'reconcile.lock'), { recursive: true });
    await ok(['reconcile', '--no-wait'], o);
  });
});
