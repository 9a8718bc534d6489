import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InstallRecord } from '../../src/install/state.js';
import { BACKOFF_CAP_MS, effectiveIntervalMs, nextRunAt } from '../../src/reconcile/backoff.js';
import { orderByDependencies } from '../../src/reconcile/deps.js';
import type { RunRecord } from '../../src/reconcile/history.js';
import type { ReconcileLock } from '../../src/reconcile/lock-file.js';
import { planSource } from '../../src/reconcile/plan.js';
import type { SourceState } from '../../src/reconcile/source-state.js';
import { signatureDecision } from '../../src/reconcile/verify-pack.js';
import { dueTimes, watch } from '../../src/reconcile/watch.js';
import type { CatalogEntry } from '../../src/sources/catalog-file.js';
import { resolveSource, type Source } from '../../src/sources/source-spec.js';

/** The pure decisions of reconcile: plan (install / restore / retire / leave alone), dependency order, trust, backoff, scheduling. */

const entry = (id: string, version: string, sig: CatalogEntry['signature'] = { kind: 'none' }): CatalogEntry => ({
  id,
  version,
  artifact: { kind: 'oci', ref: `r.example/${id}:${version}` },
  signature: sig,
});
const rec = (
  id: string,
  version: string,
  source: string,
  status: InstallRecord['status'] = 'active',
  digest = `sha256:${id}`,
): InstallRecord => ({ id, version, digest, source, status, installedAt: '2024-01-01T00:00:00Z', contents: [] });

describe('planSource', () => {
  test('keys on id + version: new and bumped entries install, the same version is unchanged', () => {
    const p = planSource(
      's',
      [entry('a.a', '1.0.0'), entry('b.b', '2.0.0'), entry('c.c', '1.0.0')],
      [rec('b.b', '1.0.0', 's'), rec('c.c', '1.0.0', 's')],
    );
    assert.deepEqual(
      p.entries.map((e) => [e.entry.id, e.kind, e.kind === 'install' ? e.reason : '']),
      [
        ['a.a', 'install', 'new'],
        ['b.b', 'install', 'upgrade'],
        ['c.c', 'unchanged', ''],
      ],
    );
    assert.deepEqual(p.retire, []);
  });

  test('the source catalog wins: retired source packs restore, unlisted ones retire; manual and other sources are respected', () => {
    const installed = [
      rec('a.a', '1.0.0', 's', 'retired'),
      rec('gone.x', '1.0.0', 's'),
      rec('gone.y', '1.0.0', 's', 'retired'),
      rec('m.m', '1.0.0', 'manual', 'retired'),
      rec('m.n', '1.0.0', 'manual'),
      rec('o.o', '1.0.0', 'other'),
      rec('o.p', '1.0.0', 'other', 'retired'),
    ];
    const p = planSource(
      's',
      [
        entry('a.a', '1.0.0'),
        entry('m.m', '1.0.0'),
        entry('m.n', '2.0.0'),
        entry('o.o', '1.0.0'),
        entry('o.p', '1.0.0'),
      ],
      installed,
    );
    assert.deepEqual(
      p.entries.map((e) => [e.entry.id, e.kind, e.kind === 'install' ? e.reason : '']),
      [
        ['a.a', 'install', 'restore'],
        ['m.m', 'manual', ''],
        ['m.n', 'install', 'adopt'],
        ['o.o', 'conflict', ''],
        ['o.p', 'install', 'adopt'],
      ],
    );
    assert.deepEqual(
      p.retire.map((r) => r.id),
      ['gone.x'],
    );
  });

  test('one version per id is installed: lower versions of an id are only mirrored; --locked reinstalls a differing digest', () => {
    const p = planSource('s', [entry('a.a', '1.0.0'), entry('a.a', '1.2.0')], []);
    assert.deepEqual(
      p.entries.map((e) => e.kind),
      ['mirror', 'install'],
    );
    const lock: ReconcileLock = {
      schemaVersion: 1,
      source: { name: 's', type: 'oci', url: 'u', ref: 'r', catalogPath: 'p' },
      revision: 'x',
      catalogDigest: 'y',
      createdAt: '',
      packs: [{ id: 'b.b', version: '1.0.0', digest: 'sha256:other', artifact: '', signer: null }],
    };
    const q = planSource('s', [entry('b.b', '1.0.0')], [rec('b.b', '1.0.0', 's')], lock);
    assert.deepEqual(
      q.entries.map((e) => [e.kind, e.kind === 'install' ? e.reason : '']),
      [['install', 'locked']],
    );
  });
});

describe('orderByDependencies', () => {
  const n = (id: string, version: string, dependencies: Record<string, string> = {}) => ({
    key: `${id}@${version}`,
    id,
    version,
    dependencies,
  });

  test('dependencies install first; installed packs satisfy ranges', () => {
    const r = orderByDependencies(
      [n('app.a', '1.0.0', { 'lib.b': '^2.0.0', 'base.c': '>=1' }), n('lib.b', '2.3.0')],
      [rec('base.c', '1.4.0', 'manual')],
    );
    assert.deepEqual(r.order, ['lib.b@2.3.0', 'app.a@1.0.0']);
    assert.equal(r.failed.size, 0);
  });

  test('unsatisfiable ranges, invalid ranges and cycles are named', () => {
    const r = orderByDependencies(
      [
        n('a.a', '1.0.0', { 'b.b': '*' }),
        n('b.b', '1.0.0', { 'a.a': '1.x' }),
        n('c.c', '1.0.0', { 'd.d': '^3' }),
        n('e.e', '1.0.0', { 'a.a': 'not a range!' }),
        n('f.f', '1.0.0', { 'a.a': '^1' }),
      ],
      [rec('d.d', '2.0.0', 'manual')],
    );
    assert.match(r.failed.get('a.a@1.0.0') ?? '', /dependency cycle: a\.a 1\.0\.0 → b\.b 1\.0\.0 → a\.a 1\.0\.0/);
    assert.equal(r.failed.get('c.c@1.0.0'), 'c.c 1.0.0 needs d.d ^3, but d.d 2.0.0 is installed');
    assert.match(r.failed.get('e.e@1.0.0') ?? '', /invalid semver range/);
    assert.ok(r.failed.has('f.f@1.0.0'), 'depends on a cycle member');
    assert.deepEqual(r.order, ['c.c@1.0.0', 'e.e@1.0.0']);
  });

  test('what falls short is said as it is: retired (by hand or by a source), not installed, another version in this run', () => {
    const installed = [rec('core.m', '1.0.0', 'manual', 'retired'), rec('core.s', '1.0.0', 'other', 'retired')];
    const r = orderByDependencies(
      [
        n('a.a', '1.0.0', { 'core.m': '^1.0.0' }),
        n('b.b', '1.0.0', { 'core.s': '^1.0.0' }),
        n('c.c', '1.0.0', { 'lib.x': '^2' }),
        n('d.d', '1.0.0', { 'lib.y': '^2' }),
        n('lib.y', '1.5.0'),
      ],
      installed,
    );
    assert.equal(
      r.failed.get('a.a@1.0.0'),
      'a.a 1.0.0 needs core.m ^1.0.0, but core.m 1.0.0 was installed by hand and is retired (a retired pack meets no dependency)',
    );
    assert.equal(
      r.failed.get('b.b@1.0.0'),
      'b.b 1.0.0 needs core.s ^1.0.0, but core.s 1.0.0 was installed from source other and is retired (a retired pack meets no dependency)',
    );
    assert.equal(r.failed.get('c.c@1.0.0'), 'c.c 1.0.0 needs lib.x ^2, but lib.x is not installed');
    assert.equal(
      r.failed.get('d.d@1.0.0'),
      'd.d 1.0.0 needs lib.y ^2, but lib.y is not installed; this run installs lib.y 1.5.0',
    );
    for (const why of r.failed.values()) assert.doesNotMatch(why, /neither installed nor in the catalog/);
  });

  test('a chain of 1,000 resolves in order', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      n(`p.p${i}`, '1.0.0', i < 999 ? { [`p.p${i + 1}`]: '^1' } : {}),
    );
    const r = orderByDependencies(nodes, []);
    assert.equal(r.order[0], 'p.p999@1.0.0');
    assert.equal(r.order[999], 'p.p0@1.0.0');
  });
});

describe('signatureDecision: the source decides, never the catalog', () => {
  const key = { kind: 'cosign-key', publicKey: 'SOURCE KEY' } as const;
  test('kind none under a signing policy is refused; signed entries are checked with the source material only', () => {
    assert.equal(signatureDecision(key, entry('a.a', '1.0.0'), 's').kind, 'reject');
    const d = signatureDecision(key, entry('a.a', '1.0.0', { kind: 'cosign-key', publicKey: 'CATALOG KEY' }), 's');
    assert.deepEqual(d, { kind: 'verify', spec: { kind: 'cosign-key', publicKey: 'SOURCE KEY' } });
    const kl = signatureDecision(
      { kind: 'cosign-keyless', certificateIdentityRegexp: '^src$', certificateOidcIssuer: 'iss' },
      entry('a.a', '1.0.0', { kind: 'cosign-keyless', certificateIdentityRegexp: '.*', certificateOidcIssuer: 'evil' }),
      's',
    );
    assert.deepEqual(kl, {
      kind: 'verify',
      spec: { kind: 'cosign-keyless', certificateIdentityRegexp: '^src$', certificateOidcIssuer: 'iss' },
    });
    assert.equal(
      signatureDecision(
        { kind: 'unsigned-allowed' },
        entry('a.a', '1.0.0', { kind: 'cosign-key', publicKey: 'K' }),
        's',
      ).kind,
      'unsigned',
    );
  });
});

describe('backoff and scheduling', () => {
  test('double the interval after three failures, capped at one hour, never below the interval', () => {
    assert.equal(effectiveIntervalMs(300_000, 2), 300_000);
    assert.equal(effectiveIntervalMs(300_000, 3), 600_000);
    assert.equal(effectiveIntervalMs(2_400_000, 5), BACKOFF_CAP_MS);
    assert.equal(effectiveIntervalMs(86_400_000, 9), 86_400_000);
    assert.equal(nextRunAt(undefined, 1000, 0, 42), 42);
    assert.equal(nextRunAt('1970-01-01T00:00:01.000Z', 60_000, 3, 0), 1000 + 120_000);
  });

  const source = (name: string, interval: string): Source =>
    resolveSource({
      name,
      type: 'git',
      url: `file:///r/${name}`,
      interval,
      signaturePolicy: { kind: 'unsigned-allowed' },
    });

  test('dueTimes orders by due time and skips disabled sources', () => {
    const off = { ...source('off', '1m'), enabled: false };
    const states = new Map<string, SourceState>([
      ['a', { schemaVersion: 1, source: 'a', consecutiveFailures: 0, lastRunAt: new Date(0).toISOString() }],
    ]);
    assert.deepEqual(
      dueTimes([source('a', '1m'), source('b', '1m'), off], states, 10).map((d) => [d.source.name, d.due]),
      [
        ['b', 10],
        ['a', 60_000],
      ],
    );
  });

  test('watch runs due sources, sleeps until the next is due, backs off a failing one, and stops on request', async () => {
    let now = 0;
    const stop = new AbortController();
    const states = new Map<string, SourceState>();
    const runs: Array<[string, number]> = [];
    const failing = new Set(['bad']);
    await watch({
      load: async () => [source('good', '1m'), source('bad', '1m')],
      state: async (n) => states.get(n) ?? { schemaVersion: 1, source: n, consecutiveFailures: 0 },
      runOne: async (s) => {
        runs.push([s.name, now]);
        const prev = states.get(s.name)?.consecutiveFailures ?? 0;
        states.set(s.name, {
          schemaVersion: 1,
          source: s.name,
          lastRunAt: new Date(now).toISOString(),
          consecutiveFailures: failing.has(s.name) ? prev + 1 : 0,
        });
        return { source: s.name } as RunRecord;
      },
      now: () => now,
      sleep: async (ms) => {
        now += ms;
        if (now > 10 * 60_000) stop.abort();
      },
      stop: stop.signal,
    });
    const bad = runs.filter(([n]) => n === 'bad').map(([, t]) => t / 60_000);
    const good = runs.filter(([n]) => n === 'good').map(([, t]) => t / 60_000);
    assert.deepEqual(good, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(bad, [0, 1, 2, 4, 6, 8, 10], 'after the third failure every two minutes');
  });
});
