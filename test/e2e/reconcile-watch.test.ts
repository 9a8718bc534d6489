import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rename } from 'node:fs/promises';
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
  await repo.write('scrydon.yaml', 'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: 1.0.0\n    artifact: {kind: git-tar, ref: main, path: packs/core}\n    signature: {kind: none}\n');
  repo.commit('one');
  const away = `${repo.bare}.away`;
  await rename(repo.bare, away);
  const o = await env();
  await ok(['source', 'add', 'flaky', '--type', 'git', '--url', repo.url, '--interval', '20m', '--signature-policy', 'unsigned-allowed'], o);
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

test('reconcile --watch runs due sources at once and exits cleanly on SIGTERM', async () => {
  const repo = await makeGitRepo('watched');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/core');
  await repo.write('scrydon.yaml', 'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: 1.0.0\n    artifact: {kind: git-tar, ref: main, path: packs/core}\n    signature: {kind: none}\n');
  repo.commit('one');
  const o = await env();
  await ok(['source', 'add', 'w', '--type', 'git', '--url', repo.url, '--interval', '30s', '--signature-policy', 'unsigned-allowed'], o);
  const child = spawn(process.execPath, [BIN, 'reconcile', '--watch'], { env: { ...process.env, ...o.env, SCRYDON_HOME: o.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  assert.deepEqual(hist.map((h) => [h.trigger, h.outcome]), [['watch', 'success']]);
  assert.equal((await json<{ packs: unknown[] }>(['installed'], o)).packs.length, 1);
});
