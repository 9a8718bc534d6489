import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunRecord } from '../../src/reconcile/history.js';
import type { CatalogData } from '../../src/serve/catalog-data.js';
import type { PackDiff } from '../../src/serve/pack-files.js';
import type { ArtifactRow } from '../../src/serve/artifact-rows.js';
import { servedCatalog } from '../helpers/catalog-home.js';
import { treeHash } from '../helpers/cli.js';
import { http, type RunningServe } from '../helpers/serve.js';

/**
 * The JSON under /api/ that the catalog page is built from (test/helpers/catalog-home.ts makes the store): the
 * artifact list (one row per digest, filtered and paged by the server), a pack's detail with its signature
 * details, dependencies both ways, a file, file and line diffs, run history and source status; and hostile
 * input (a path out of the pack, an unknown digest) answered with the error shape and nothing changed.
 */

interface Rows {
  total: number;
  offset: number;
  limit: number;
  rows: Array<ArtifactRow & { signature: { status: string } }>;
  sources: string[];
  installStates: string[];
}

async function get(serve: RunningServe, path: string): Promise<{ status: number; body: unknown }> {
  const r = await http(`${serve.url}${path}`);
  return { status: r.status, body: JSON.parse(r.body.toString('utf8')) as unknown };
}

async function api<T>(serve: RunningServe, path: string): Promise<T> {
  const r = await get(serve, path);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body as T;
}

async function apiError(serve: RunningServe, path: string, status: number, code: string): Promise<string> {
  const r = await get(serve, path);
  assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
  const err = (r.body as { error: { code: string; message: string } }).error;
  assert.equal(err.code, code, err.message);
  return err.message;
}

const enc = encodeURIComponent;

describe('scrydon serve: /api/ for the catalog page', () => {
  const s = servedCatalog();

  test('/api/artifacts: one row per digest with its tags and pull name, newest version first', async () => {
    const all = await api<Rows>(s.serve, '/api/artifacts');
    assert.equal(all.total, 3);
    assert.deepEqual(
      all.rows.map((r) => [r.pullAs, r.tags]),
      [
        ['acme.core:1.0.0', ['acme.core:1.0.0']],
        ['acme.fraud:1.3.0', ['acme.fraud:1.3.0']],
        ['acme.fraud:1.2.0', ['acme.fraud:1.2.0', 'acme.fraud:stable']],
      ],
    );
    const v12 = all.rows[2];
    assert.equal(v12?.digest, s.c.v12);
    assert.equal(v12?.install, 'active');
    assert.equal(v12?.signature.status, 'verified');
    assert.equal(all.rows[1]?.signature.status, 'failed');
    assert.equal(all.rows[0]?.install, 'not-installed');
    assert.deepEqual(all.sources, ['local']);
    assert.deepEqual(all.installStates, ['active', 'not-installed']);
  });

  test('/api/artifacts: search and filters (id, version, source, install state, signed), paging, bad values', async () => {
    const pulls = async (q: string) => (await api<Rows>(s.serve, `/api/artifacts?${q}`)).rows.map((r) => r.pullAs);
    assert.deepEqual(await pulls('q=STABLE'), ['acme.fraud:1.2.0'], 'a tag is searched, case aside');
    assert.deepEqual(await pulls(`q=${s.c.core.slice(7, 19)}`), ['acme.core:1.0.0'], 'so is the digest');
    assert.deepEqual(await pulls('id=acme.fraud'), ['acme.fraud:1.3.0', 'acme.fraud:1.2.0']);
    assert.deepEqual(await pulls('id=acme.fraud&version=1.2.0'), ['acme.fraud:1.2.0']);
    assert.deepEqual(await pulls('status=active'), ['acme.fraud:1.2.0']);
    assert.deepEqual(await pulls('signed=yes'), ['acme.fraud:1.2.0']);
    assert.deepEqual(await pulls('signed=no'), ['acme.core:1.0.0', 'acme.fraud:1.3.0']);
    assert.deepEqual(await pulls('source=prod'), []);
    const page = await api<Rows>(s.serve, '/api/artifacts?offset=1&limit=1');
    assert.deepEqual([page.total, page.offset, page.limit, page.rows.length], [3, 1, 1, 1]);
    assert.equal(page.rows[0]?.pullAs, 'acme.fraud:1.3.0');
    await apiError(s.serve, '/api/artifacts?limit=100000', 400, 'usage');
    await apiError(s.serve, '/api/artifacts?signed=maybe', 400, 'usage');
    await apiError(s.serve, '/api/artifacts?offset=-1', 400, 'usage');
  });

  test('/api/pack: ID:VERSION resolves; signer fingerprint, verification time and the rule that decided', async () => {
    const d = await api<{
      digest: string;
      pullAs: string;
      tags: string[];
      versions: Array<{ version: string; pullAs: string }>;
      signature: {
        status: string;
        receipts: Array<{ signer: string; fingerprint: string; verifiedAt: string; rule: string; format: string }>;
      };
    }>(s.serve, `/api/pack?ref=${enc('acme.fraud:stable')}`);
    assert.equal(d.digest, s.c.v12);
    assert.equal(d.pullAs, 'acme.fraud:1.2.0');
    assert.deepEqual(d.tags, ['acme.fraud:1.2.0', 'acme.fraud:stable']);
    assert.deepEqual(
      d.versions.map((v) => v.version),
      ['1.3.0', '1.2.0'],
    );
    assert.equal(d.signature.status, 'verified');
    const [byPolicy, byKey] = d.signature.receipts;
    assert.match(
      byPolicy?.rule ?? '',
      /^scope "acme packs" \(\*\*\) in .*policy\.yaml$/,
      'the newest: the policy decided',
    );
    assert.equal(byKey?.rule, 'command line', 'verify --key: the key on the command line decided, not a policy');
    for (const r of [byPolicy, byKey]) {
      assert.match(r?.fingerprint ?? '', /^sha256:[a-f0-9]{64}$/);
      assert.equal(r?.signer, `key ${r?.fingerprint}`);
      assert.ok(Date.parse(r?.verifiedAt ?? '') > 0);
    }
    assert.ok((byPolicy?.verifiedAt ?? '') >= (byKey?.verifiedAt ?? ''), 'newest first');
    const unsigned = await api<{ signature: { status: string; receipts?: unknown } }>(
      s.serve,
      `/api/pack?ref=${enc('acme.core:1.0.0')}`,
    );
    assert.equal(unsigned.signature.status, 'unsigned');
    assert.equal(unsigned.signature.receipts, undefined);
  });

  test('/api/deps: depends on, depended on by, and the transitive graph', async () => {
    interface Deps {
      dependsOn: Array<{ id: string; range: string; pullAs: string | null }>;
      dependedOnBy: Array<{ pullAs: string; range: string }>;
      graph: {
        nodes: Array<{ key: string; pullAs: string | null; missing?: string }>;
        edges: Array<{ from: string; to: string }>;
      };
    }
    const fraud = await api<Deps>(s.serve, `/api/deps?ref=${enc('acme.fraud:1.3.0')}`);
    assert.deepEqual(fraud.dependsOn, [
      { id: 'acme.core', range: '^1.0.0', pullAs: 'acme.core:1.0.0', version: '1.0.0' },
      { id: 'acme.ledger', range: '^2.0.0', pullAs: null, version: null },
    ]);
    assert.deepEqual(fraud.dependedOnBy, []);
    assert.deepEqual(
      fraud.graph.nodes.map((n) => [n.pullAs, n.missing ?? null]),
      [
        ['acme.fraud:1.3.0', null],
        ['acme.core:1.0.0', null],
        [null, '^2.0.0'],
      ],
    );
    assert.deepEqual(
      fraud.graph.edges.map((e) => [e.from, e.to]),
      [
        [s.c.v13, s.c.core],
        [s.c.v13, 'missing:acme.ledger ^2.0.0'],
      ],
    );
    const core = await api<Deps>(s.serve, `/api/deps?ref=${enc('acme.core:1.0.0')}`);
    assert.deepEqual(
      core.dependedOnBy.map((d) => [d.pullAs, d.range]),
      [
        ['acme.fraud:1.2.0', '^1.0.0'],
        ['acme.fraud:1.3.0', '^1.0.0'],
      ],
    );
    assert.deepEqual(core.dependsOn, []);
  });

  test('/api/file and /api/file-diff: a text file, and a line diff of an edited file', async () => {
    const f = await api<{ text: string; binary: boolean; size: number }>(
      s.serve,
      `/api/file?ref=${enc('acme.fraud:1.3.0')}&path=${enc('workflows/scripts/score.sh')}`,
    );
    assert.equal(f.text, '#!/bin/sh\necho 0.97\n');
    assert.equal(f.binary, false);
    const d = await api<{
      diff: { added: number; removed: number; hunks: Array<{ lines: Array<{ op: string; text: string }> }> };
    }>(
      s.serve,
      `/api/file-diff?from=${enc('acme.fraud:1.2.0')}&to=${enc('acme.fraud:1.3.0')}&path=${enc('workflows/scripts/score.sh')}`,
    );
    const lines = d.diff.hunks.flatMap((h) => h.lines);
    assert.ok(
      lines.some((l) => l.op === '+' && l.text === 'echo 0.97'),
      JSON.stringify(lines),
    );
    assert.ok(lines.some((l) => l.op === '-'));
    assert.ok(lines.some((l) => l.op === ' ' && l.text === '#!/bin/sh'));
    const added = await api<{ diff: { added: number; removed: number } }>(
      s.serve,
      `/api/file-diff?from=${enc('acme.fraud:1.2.0')}&to=${enc('acme.fraud:1.3.0')}&path=${enc('ontology/chargebacks.json')}`,
    );
    assert.deepEqual([added.diff.added, added.diff.removed], [1, 0], 'a file new in 1.3.0 is all added lines');
    const bin = await api<{ binary: boolean; text: string | null; size: number }>(
      s.serve,
      `/api/file?ref=${enc('acme.fraud:1.3.0')}&path=${enc('ontology/model.bin')}`,
    );
    assert.deepEqual([bin.binary, bin.text, bin.size], [true, null, 8], 'a binary file is described, not shown');
    const binDiff = await api<{ binary: boolean; diff: unknown }>(
      s.serve,
      `/api/file-diff?from=${enc('acme.fraud:1.2.0')}&to=${enc('acme.fraud:1.3.0')}&path=${enc('ontology/model.bin')}`,
    );
    assert.deepEqual([binDiff.binary, binDiff.diff], [true, null]);
    const files = await api<PackDiff>(
      s.serve,
      `/api/diff?from=${enc('acme.fraud:1.2.0')}&to=${enc('acme.fraud:1.3.0')}`,
    );
    assert.deepEqual(
      files.changed.map((x) => x.path),
      ['pack.json', 'workflows/scripts/score.sh'],
    );
  });

  test('hostile input: a path out of the pack, an unknown file, an unknown digest; nothing in the home changes', async () => {
    const before = await treeHash(s.c.home);
    const pack = enc('acme.fraud:1.2.0');
    for (const p of ['../../etc/passwd', '/etc/passwd', 'ontology/../../../etc/passwd', 'a\u0000b', './pack.json']) {
      const msg = await apiError(s.serve, `/api/file?ref=${pack}&path=${enc(p)}`, 400, 'usage');
      assert.match(msg, /is not a path inside a pack/);
    }
    await apiError(s.serve, `/api/file-diff?from=${pack}&to=${pack}&path=${enc('../x')}`, 400, 'usage');
    await apiError(s.serve, `/api/file?ref=${pack}&path=${enc('etc/passwd')}`, 404, 'not_found');
    const unknown = `sha256:${'0'.repeat(64)}`;
    for (const path of ['pack', 'deps']) await apiError(s.serve, `/api/${path}?ref=${unknown}`, 404, 'not_found');
    await apiError(s.serve, `/api/file?ref=${unknown}&path=pack.json`, 404, 'not_found');
    await apiError(s.serve, `/api/diff?from=${pack}&to=${unknown}`, 404, 'not_found');
    await apiError(s.serve, `/api/file?ref=${pack}`, 400, 'usage');
    await apiError(s.serve, '/api/nothing-here', 404, 'not_found');
    assert.equal(await treeHash(s.c.home), before, 'the store, the install root and the history are unchanged');
  });

  test('backwards compatible: /api/packs, /api/runs and /api/diff keep their shape; /api/ lists every endpoint', async () => {
    const data = await api<CatalogData>(s.serve, '/api/packs');
    assert.deepEqual(
      data.packs.map((p) => [p.id, p.versions.map((v) => v.version)]),
      [
        ['acme.core', ['1.0.0']],
        ['acme.fraud', ['1.3.0', '1.2.0', '1.2.0']], // one per tag, as before
      ],
    );
    const runs = await api<{ sources: Array<{ source: string; runs: RunRecord[] }> }>(s.serve, '/api/runs');
    assert.deepEqual(
      runs.sources[0]?.runs.map((r) => r.runId),
      ['run-2', 'run-1'],
    );
    await apiError(s.serve, '/api/runs?source=../x', 400, 'usage');
    await apiError(s.serve, `/api/diff?from=acme.fraud:1.2.0&to=acme.core:1.0.0`, 400, 'usage');
    const index = await api<{ endpoints: Record<string, string> }>(s.serve, '/api/');
    for (const p of ['/api/artifacts', '/api/packs', '/api/deps', '/api/file?', '/api/file-diff', '/api/sources'])
      assert.ok(
        Object.keys(index.endpoints).some((k) => k.startsWith(p)),
        p,
      );
  });

  test('/api/sources: a source known only from its run history', async () => {
    const got = await api<{ sources: Array<{ name: string; registered: boolean; lastOutcome: string }> }>(
      s.serve,
      '/api/sources',
    );
    assert.deepEqual(
      got.sources.map((x) => [x.name, x.registered, x.lastOutcome]),
      [['prod', false, 'failed']],
    );
  });
});
