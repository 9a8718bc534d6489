import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, cleanupTemps, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';

/**
 * Failure counting and backoff (after three consecutive failed runs a source waits double its interval, capped
 * at an hour; a success resets it), and `reconcile --watch`: runs what is due at once, and on SIGTERM finishes
 * the step in progress and exits 0.
 */

interface Shown {
  state: { consecutiveFailures: number; lastRevision?: string };
  backoff: { backingOff: boolean; effectiveIntervalMs: number; consecutiveFailures: number };
  nextRunAt: string;
}

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

after(cleanupTemps);

test('three failed runs back a source off to double its interval; a success resets it', async () => {
  const repo = await makeGitRepo('flaky');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/core');
  await repo.write(
    'scrydon.yaml',
    'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: 1.0.0\n    artifact: {kind: git-tar, ref: main, path: packs/core}\n    signature: {kind: none}\n',
  );
  repo.commit('one');
  const away = `${repo.bare}.away`;
  await rename(repo.bare, away);
  const o = await env();
  await ok(
    [
      'source',
      'add',
      'flaky',
      '--type',
      'git',
      '--url',
      repo.url,
      '--interval',
      '20m',
      '--signature-policy',
      'unsigned-allowed',
    ],
    o,
  );
  for (let i = 1; i <= 3; i++) {
    const r = await scrydon(['reconcile'], o);
    assert.equal(r.code, 1);
    const s = await json<Shown>(['source', 'show', 'flaky'], o);
    assert.equal(s.state.consecutiveFailures, i);
    assert.equal(s.backoff.backingOff, i >= 3);
    assert.equal(s.backoff.effectiveIntervalMs, i >= 3 ? 40 * 60_000 : 20 * 60_000);
  }
  assert.match((await ok(['source', 'show', 'flaky'], o)).stdout, /backing off: every 40m instead of 20m/);
  await rename(away, repo.bare);
  await ok(['reconcile'], o);
  const s = await json<Shown>(['source', 'show', 'flaky'], o);
  assert.equal(s.state.consecutiveFailures, 0);
  assert.equal(s.backoff.backingOff, false);
});

/** A git source `name` listing acme.core, registered (every 30s, unsigned allowed), and `reconcile --watch` running on it. */
async function watchOneSource(repoName: string, name: string, flags: string[]) {
  const repo = await makeGitRepo(repoName);
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/core');
  await repo.write(
    'scrydon.yaml',
    'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: 1.0.0\n    artifact: {kind: git-tar, ref: main, path: packs/core}\n    signature: {kind: none}\n',
  );
  repo.commit('one');
  const o = await env();
  await ok(
    [
      'source',
      'add',
      name,
      '--type',
      'git',
      '--url',
      repo.url,
      '--interval',
      '30s',
      '--signature-policy',
      'unsigned-allowed',
    ],
    o,
  );
  const child = spawn(process.execPath, [BIN, 'reconcile', '--watch', ...flags], {
    env: { ...process.env, ...o.env, SCRYDON_HOME: o.home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { o, child };
}

test('reconcile --watch runs due sources at once and exits cleanly on SIGTERM', async () => {
  const { o, child } = await watchOneSource('watched', 'w', []);
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const firstRun = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no run within 30s: ${out} ${err}`)), 30_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/w: success/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await firstRun;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, err);
  assert.match(out, /stopped after 1 run\(s\)/);
  const hist = await json<Array<{ trigger: string; outcome: string }>>(['source', 'history', 'w'], o);
  assert.deepEqual(
    hist.map((h) => [h.trigger, h.outcome]),
    [['watch', 'success']],
  );
  assert.equal((await json<{ packs: unknown[] }>(['installed'], o)).packs.length, 1);
});

test('reconcile --watch --quiet prints nothing on stdout, run after run', async () => {
  const { o, child } = await watchOneSource('watched-quiet', 'q', ['--quiet']);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // the run is over once the history records it
  for (let i = 0; ; i++) {
    const runs = await json<unknown[]>(['source', 'history', 'q'], o);
    if (runs.length > 0) break;
    assert.ok(i < 300, `no run recorded within 30s: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0, err);
  assert.equal(out, '');
  assert.equal((await json<{ packs: unknown[] }>(['installed'], o)).packs.length, 1);
});

test('SIGINT in the middle of installs: the pack in progress finishes, nothing new starts, the run is recorded as stopped and the next run completes', async () => {
  const N = 120;
  const repo = await makeGitRepo('many');
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (let i = 0; i < N; i++) {
    const id = `acme.p${String(i).padStart(3, '0')}`;
    await repo.write(
      `packs/${id}/pack.json`,
      JSON.stringify({
        schemaVersion: 1,
        package: { id, version: '1.0.0' },
        contents: [{ kind: 'ontology', path: 'ontology' }],
        installOrder: ['ontology'],
      }),
    );
    await repo.write(`packs/${id}/ontology/entities.json`, JSON.stringify({ id, fill: 'x'.repeat(20_000) }));
    lines.push(
      `  - {id: ${id}, version: 1.0.0, artifact: {kind: git-tar, ref: main, path: packs/${id}}, signature: {kind: none}}`,
    );
  }
  await repo.write('scrydon.yaml', lines.join('\n') + '\n');
  repo.commit('many');
  const o = await env();
  await ok(['source', 'add', 'many', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'], o);
  const child = spawn(process.execPath, [BIN, 'reconcile', '--json', '--concurrency', '1'], {
    env: { ...process.env, ...o.env, SCRYDON_HOME: o.home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // signal once the first pack is installed (installed.json appears)
  const state = join(o.home, 'packs', 'installed.json');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (
      await readFile(state).then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`no install within 60 s: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 1, `a stopped run is a failed run: ${err}`);
  const [run] = JSON.parse(out) as Array<{
    outcome: string;
    code?: string;
    packs: Array<{ id: string; outcome: string; code?: string }>;
  }>;
  assert.equal(run?.outcome, 'failed');
  assert.equal(run?.code, 'aborted', JSON.stringify(run).slice(0, 400));
  assert.ok(!run?.packs.some((p) => p.code === 'install_failed'), 'no pack is reported failed for a stop');
  const installed = (await json<{ packs: Array<{ id: string }> }>(['installed'], o)).packs;
  assert.ok(installed.length >= 1 && installed.length < N, `${installed.length} installed`);
  // what is recorded installed is complete on disk; no staging directory is left behind
  for (const p of installed)
    assert.ok(
      (await readFile(join(o.home, 'packs', p.id, '1.0.0', 'ontology', 'entities.json'), 'utf8')).includes(p.id),
    );
  assert.deepEqual(
    (await readdir(join(o.home, 'packs'))).filter((n) => n.startsWith('.staging-')),
    [],
  );
  // the stop did not count towards backoff, and the next run installs the rest
  assert.equal(
    (await json<{ state: { consecutiveFailures: number } }>(['source', 'show', 'many'], o)).state.consecutiveFailures,
    0,
  );
  const again = await json<Array<{ outcome: string }>>(['reconcile'], o);
  assert.equal(again[0]?.outcome, 'success');
  assert.equal((await json<{ packs: unknown[] }>(['installed'], o)).packs.length, N);
});
