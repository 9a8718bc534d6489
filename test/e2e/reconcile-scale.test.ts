import assert from 'node:assert/strict';
import { readdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanupTemps, json, ok, tempDir, type RunOptions } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';
import { killWhen, startScrydon } from '../helpers/kill.js';

/**
 * Reconcile of a git catalog of a few hundred entries (not timed): installs side by side share one write of
 * installed.json (a group commit) and one lease; every entry ends installed once, and a run killed in the middle
 * of its installs leaves a state the next run completes.
 */

interface RunPack {
  id: string;
  version: string;
  outcome: string;
  digest?: string;
}
interface Run {
  outcome: string;
  packs: RunPack[];
}
interface StateFile {
  schemaVersion: number;
  packs: Record<string, { id: string; version: string; digest: string; source: string; status: string }>;
}

after(cleanupTemps);

const id = (i: number): string => `acme.s${String(i).padStart(3, '0')}`;

/** A git source `many` listing `n` small git-tar packs, added to a fresh home. */
async function manySource(n: number): Promise<RunOptions & { home: string }> {
  const repo = await makeGitRepo('many');
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (let i = 0; i < n; i++) {
    await repo.write(
      `packs/${id(i)}/pack.json`,
      JSON.stringify({
        schemaVersion: 1,
        package: { id: id(i), version: '1.0.0' },
        contents: [{ kind: 'ontology', path: 'ontology' }],
        installOrder: ['ontology'],
      }),
    );
    await repo.write(`packs/${id(i)}/ontology/entities.json`, JSON.stringify({ id: id(i) }));
    lines.push(
      `  - {id: ${id(i)}, version: 1.0.0, artifact: {kind: git-tar, ref: main, path: packs/${id(i)}}, signature: {kind: none}}`,
    );
  }
  await repo.write('scrydon.yaml', lines.join('\n') + '\n');
  repo.commit('many');
  const o = { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
  await ok(['source', 'add', 'many', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'], o);
  return o;
}

async function readState(home: string): Promise<StateFile> {
  return JSON.parse(await readFile(join(home, 'packs', 'installed.json'), 'utf8')) as StateFile;
}

/** Every id has exactly one version directory with its file, and no scratch directory is left in the root. */
async function assertInstallRoot(home: string, n: number): Promise<void> {
  const root = join(home, 'packs');
  const names = (await readdir(root)).filter((x) => x !== 'installed.json' && !x.endsWith('.lock'));
  assert.deepEqual(
    names.sort(),
    Array.from({ length: n }, (_, i) => id(i)),
  );
  for (const name of names) {
    assert.deepEqual(await readdir(join(root, name)), ['1.0.0'], name);
    assert.equal(
      await readFile(join(root, name, '1.0.0', 'ontology', 'entities.json'), 'utf8'),
      JSON.stringify({ id: name }),
    );
  }
}

test('a 300-entry git catalog: every entry installed once, installed.json names each with the digest the run reports, nothing left over', async () => {
  const N = 300;
  const o = await manySource(N);
  // 16 packs built and installed at once, each listening to the run's one abort signal: Node must not warn
  const first = await ok(['reconcile', '--json', '--concurrency', '16'], o);
  assert.doesNotMatch(first.stderr, /Warning/, first.stderr);
  const [run] = JSON.parse(first.stdout) as Run[];
  assert.equal(run?.outcome, 'success');
  assert.equal(run?.packs.length, N);
  assert.ok(
    run?.packs.every((p) => p.outcome === 'installed'),
    JSON.stringify(run?.packs.find((p) => p.outcome !== 'installed')),
  );
  const state = await readState(o.home);
  assert.equal(state.schemaVersion, 1);
  assert.equal(Object.keys(state.packs).length, N);
  for (const p of run?.packs ?? []) {
    const rec = state.packs[p.id];
    assert.ok(rec, `${p.id} is not in installed.json`);
    assert.deepEqual([rec.version, rec.digest, rec.source, rec.status], ['1.0.0', p.digest, 'many', 'pending-review']);
  }
  await assertInstallRoot(o.home, N);
  // the run's leases are released
  assert.deepEqual(await readdir(join(o.home, 'catalog', 'leases')).catch(() => []), []);
  // the same revision again: nothing to do; forced: every entry planned, none installed again
  const [again] = await json<Run[]>(['reconcile', '--json'], o);
  assert.equal(again?.outcome, 'unchanged');
  const [forced] = await json<Run[]>(['reconcile', '--force', '--json'], o);
  assert.equal(forced?.outcome, 'success');
  assert.ok(forced?.packs.every((p) => p.outcome === 'unchanged'));
  assert.deepEqual(await readState(o.home), state);
});

test('a reconcile SIGKILLed in the middle of its installs: installed.json stays whole, and the next run installs every entry exactly once', async () => {
  const N = 200;
  const o = await manySource(N);
  const path = join(o.home, 'packs', 'installed.json');
  const k = startScrydon(['reconcile'], o);
  // kill once some packs are recorded, before all are
  await killWhen(
    k,
    async () => {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      const n = text === undefined ? 0 : Object.keys((JSON.parse(text) as StateFile).packs).length;
      return n >= 5 && n < N - 20;
    },
    'in the middle of the installs',
  );
  // atomic: the file parses, and every pack it names is complete on disk
  const before = await readState(o.home);
  const recorded = Object.keys(before.packs);
  assert.ok(recorded.length < N, `${recorded.length} of ${N} recorded before the kill`);
  for (const rid of recorded)
    assert.equal(
      await readFile(join(o.home, 'packs', rid, '1.0.0', 'ontology', 'entities.json'), 'utf8'),
      JSON.stringify({ id: rid }),
    );
  // the killed run's store lock goes stale 30 s after its last refresh; age it instead of waiting
  const old = new Date(Date.now() - 60_000);
  await utimes(join(o.home, 'state', 'reconcile.lock'), old, old).catch(() => undefined);
  const [run] = await json<Run[]>(['reconcile', '--json'], o);
  assert.equal(run?.outcome, 'success');
  for (const p of run?.packs ?? [])
    assert.equal(p.outcome, recorded.includes(p.id) ? 'unchanged' : 'installed', `${p.id}: ${JSON.stringify(p)}`);
  const after = await readState(o.home);
  assert.equal(Object.keys(after.packs).length, N);
  for (const rid of recorded) assert.deepEqual(after.packs[rid], before.packs[rid], `${rid} was installed again`);
  await assertInstallRoot(o.home, N);
});
