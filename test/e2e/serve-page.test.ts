import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunRecord } from '../../src/reconcile/history.js';
import type { CatalogData } from '../../src/serve/catalog-data.js';
import { assertNoSidewaysScroll, NO_CHROMIUM, shot, withPage } from '../helpers/browser.js';
import { servedCatalog } from '../helpers/catalog-home.js';
import { cleanupTemps, FIXTURES, ok, scrydon, tempDir } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';
import { http, startServe, type RunningServe } from '../helpers/serve.js';

/**
 * The catalog page of `scrydon serve` in a real browser (Debian's chromium, headless, driven by playwright-core;
 * test/helpers/browser.ts), over the store of test/helpers/catalog-home.ts: the list with its search box and
 * filters, one row per artifact with its tags; deep links to a detail, a file, a diff and the runs view (each
 * shows its view, never a stale `loading…`, and has a back link); a missing pack (the error alone); signature
 * details, dependencies both ways and the dependency graph; the line diff; per-source status; every view at
 * 390 px without sideways scrolling; no request leaves the server. Screenshots are kept as test artifacts in
 * dist/test-artifacts/serve-page/*.png. The JSON itself is tested in serve-api.test.ts.
 */

const enc = encodeURIComponent;

async function text(page: import('playwright-core').Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? '';
}

describe('scrydon serve: the catalog page in headless Chromium', { skip: NO_CHROMIUM }, () => {
  const s = servedCatalog();

  test('the list: one row per artifact with its tags, pull name, signature and install; search and filters', async () => {
    await withPage(s.serve.url, '', { ready: '#artifacts-list tr.artifact-row' }, async (page) => {
      const rows = await page.$$eval('#artifacts-list tr.artifact-row', (trs) =>
        trs.map((tr) => [tr.getAttribute('data-pull'), tr.querySelector('td.tags')?.textContent ?? '']),
      );
      assert.deepEqual(rows, [
        ['acme.core:1.0.0', 'acme.core:1.0.0'],
        ['acme.fraud:1.3.0', 'acme.fraud:1.3.0'],
        ['acme.fraud:1.2.0', 'acme.fraud:1.2.0acme.fraud:stable'],
      ]);
      const v12 = await text(page, '#artifacts-list tr[data-pull="acme.fraud:1.2.0"]');
      assert.ok(v12.includes('verified') && v12.includes('active'), v12);
      assert.match(await text(page, '#list-status'), /showing 1–3 of 3/);
      await shot(page, 'list');

      await page.fill('#f-q', 'stable');
      await page.locator('#artifacts-list tr.artifact-row').nth(1).waitFor({ state: 'detached' });
      assert.equal(await page.getAttribute('#artifacts-list tr.artifact-row', 'data-pull'), 'acme.fraud:1.2.0');
      assert.match(page.url(), /#\/\?q=stable$/, 'the search is in the address, so it can be linked');
      await page.fill('#f-q', '');
      await page.selectOption('#f-signed', 'no');
      await page.locator('#list-status', { hasText: /of 2$/ }).waitFor();
      await page.selectOption('#f-status', 'active');
      await page.locator('#list-status', { hasText: /of 0$/ }).waitFor();
      assert.match(await text(page, '#artifacts-list'), /nothing matches/);
      await shot(page, 'list-filtered');
    });
  });

  test('a deep-linked detail: signature details, dependencies, graph, files; a back link; no loading… left', async () => {
    await withPage(s.serve.url, `#/pack/${enc('acme.fraud:stable')}`, { ready: '#pack-json' }, async (page) => {
      assert.equal(await text(page, '#summary'), 'acme.fraud 1.2.0');
      assert.ok(!(await page.innerText('body')).includes('loading'), 'nothing shown is left loading');
      assert.equal(await text(page, '#pull-as'), 'acme.fraud:1.2.0');
      assert.match(await text(page, '#tags'), /acme\.fraud:stable/);
      const receipts = await page.$$eval('#signature tr.receipt', (trs) => trs.map((tr) => tr.textContent ?? ''));
      assert.equal(receipts.length, 2);
      for (const r of receipts) {
        assert.match(r, /sha256:[a-f0-9]{64}/, 'the key fingerprint');
        assert.match(r, /UTC/, 'when it was verified');
      }
      assert.match(receipts[0] ?? '', /scope "acme packs" \(\*\*\) in /, 'the rule that decided: the policy');
      assert.match(receipts[1] ?? '', /command line/, 'or the key given to verify');
      await page.waitForSelector('#dep-graph');
      assert.match(await text(page, '#depends-on'), /acme\.core:1\.0\.0 \(acme\.core \^1\.0\.0\)/);
      const nodes = await page.$$eval('#dep-graph g.node', (gs) => gs.map((g) => g.textContent ?? ''));
      assert.equal(nodes.length, 2);
      assert.ok(nodes.some((n) => n.includes('acme.core 1.0.0')));
      await shot(page, 'detail');
      // the graph links the dependency; its detail lists who depends on it
      await page.click('#dep-graph a');
      await page.waitForSelector('#depended-on-by a');
      assert.deepEqual(await page.$$eval('#depended-on-by a', (as) => as.map((a) => a.textContent)), [
        'acme.fraud:1.2.0',
        'acme.fraud:1.3.0',
      ]);
      await page.click('#back');
      await page.waitForSelector('#artifacts-list tr.artifact-row');
      assert.equal(await page.isVisible('#detail'), false);
    });
  });

  test('the file viewer shows a text file of the pack, and says a binary file is not shown', async () => {
    await withPage(s.serve.url, `#/pack/${enc('acme.fraud:1.3.0')}`, { ready: '#files' }, async (page) => {
      await page.click('#files a.file-link:text-is("workflows/scripts/score.sh")');
      await page.waitForSelector('#file-text');
      assert.equal(await text(page, '#file-text'), '#!/bin/sh\necho 0.97\n');
      assert.match(await text(page, '#summary'), /acme\.fraud 1\.3\.0: workflows\/scripts\/score\.sh/);
      await shot(page, 'file');
      await page.goto(`${s.serve.url}/#/file/${enc('acme.fraud:1.3.0')}/${enc('ontology/model.bin')}`);
      await page.waitForSelector('#file-note');
      assert.equal(await text(page, '#file-note'), 'a binary file: not shown');
    });
  });

  test('a range nothing stored meets: named under depends on, a dashed node in the graph', async () => {
    await withPage(s.serve.url, `#/pack/${enc('acme.fraud:1.3.0')}`, { ready: '#dep-graph' }, async (page) => {
      assert.match(await text(page, '#depends-on'), /acme\.ledger \^2\.0\.0: nothing stored meets it/);
      assert.equal(await text(page, '#dep-graph g.node.missing text'), 'acme.ledger ^2.0.0');
      assert.equal(await page.$$eval('#dep-graph a g.node', (gs) => gs.length), 1, 'only stored packs are links');
      await shot(page, 'detail-missing-dependency');
    });
  });

  test('a deep-linked diff shows content changes line by line', async () => {
    const hash = `#/diff/${enc('acme.fraud:1.2.0')}/${enc('acme.fraud:1.3.0')}`;
    await withPage(s.serve.url, hash, { ready: '#diff-table' }, async (page) => {
      assert.match(await text(page, '#diff'), /3 added, 0 removed, 2 changed/);
      const score = '#diff .file-diff[data-path="workflows/scripts/score.sh"] pre.line-diff';
      await page.waitForSelector(score);
      assert.deepEqual(await page.$$eval(`${score} .l-add`, (s) => s.map((x) => x.textContent)), ['+echo 0.97\n']);
      assert.ok((await page.$$eval(`${score} .l-del`, (s) => s.length)) >= 1, 'the old lines are shown removed');
      assert.match(await text(page, `${score} .l-hunk`), /^@@ -1,\d+ \+1,2 @@/);
      await page.locator('#diff .file-diff', { hasText: 'loading' }).first().waitFor({ state: 'detached' });
      assert.match(await text(page, '#diff .file-diff[data-path="ontology/model.bin"]'), /binary file: not compared/);
      assert.equal(await text(page, '#summary'), 'acme.fraud: 1.2.0 → 1.3.0');
      assert.ok(await page.isVisible('#back'));
      await shot(page, 'diff');
    });
  });

  test('a missing pack, or a path out of the pack, shows the error alone, not loading…', async () => {
    await withPage(
      s.serve.url,
      `#/pack/${enc('acme.fraud:9.9.9')}`,
      { ready: '#error:not([hidden])' },
      async (page) => {
        assert.match(await text(page, '#error'), /^not_found: /);
        assert.ok(!(await page.innerText('main')).includes('loading'), await page.innerText('main'));
        assert.ok(await page.isVisible('#back'));
        await shot(page, 'missing');
        // a path out of the pack, put in the address by hand: the API's usage error, shown alone
        await page.goto(`${s.serve.url}/#/file/${enc('acme.fraud:1.2.0')}/${enc('../../etc/passwd')}`);
        await page.locator('#error', { hasText: 'is not a path inside a pack' }).waitFor();
        assert.match(await text(page, '#error'), /^usage: "\.\.\/\.\.\/etc\/passwd" is not a path inside a pack$/);
        assert.ok(!(await page.innerText('main')).includes('loading'));
      },
    );
  });

  test('the runs view: per-source status and history', async () => {
    await withPage(s.serve.url, '#/runs', { ready: '#sources tr.source-row' }, async (page) => {
      const prod = await text(page, '#sources tr.source-row[data-source="prod"]');
      assert.ok(prod.includes('removed') && prod.includes('failed'), prod);
      const run2 = await text(page, '#runs tr.run-row[data-run="run-2"]');
      assert.ok(run2.includes('signature_not_found') && run2.includes('acme.fraud 1.3.0'), run2);
      await shot(page, 'runs');
    });
  });

  test('at 390 px every view fits the width (wide tables scroll in their box)', async () => {
    const views: Array<[string, string, string]> = [
      ['', '#artifacts-list tr.artifact-row', 'narrow-list'],
      [`#/pack/${enc('acme.fraud:1.2.0')}`, '#pack-json', 'narrow-detail'],
      [`#/diff/${enc('acme.fraud:1.2.0')}/${enc('acme.fraud:1.3.0')}`, '.line-diff', 'narrow-diff'],
      ['#/runs', '#sources', 'narrow-runs'],
    ];
    for (const [hash, ready, name] of views) {
      await withPage(s.serve.url, hash, { ready, width: 390 }, async (page) => {
        await assertNoSidewaysScroll(page);
        await shot(page, name);
      });
    }
  });
});

describe('scrydon serve: a real reconcile on the page', () => {
  let serve: RunningServe;
  let run: RunRecord;

  before(async () => {
    const repo = await makeGitRepo('lab');
    await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
    await repo.write(
      'scrydon.yaml',
      [
        'apiVersion: scrydon.io/v1',
        'kind: PackCatalog',
        'packs:',
        '  - {id: acme.core, version: 1.0.0, artifact: {kind: git-tar, ref: main, path: packs/acme-core}, signature: {kind: none}}',
        '  - {id: acme.gone, version: 2.0.0, artifact: {kind: git-tar, ref: main, path: packs/nowhere}, signature: {kind: none}}',
        '',
      ].join('\n'),
    );
    repo.commit('publish');
    const home = await tempDir();
    const o = { home, env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
    await ok(['source', 'add', 'lab', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'], o);
    const res = await scrydon(['reconcile', '--json'], o);
    assert.equal(res.code, 1, res.stderr);
    const runs = JSON.parse(res.stdout) as RunRecord[];
    assert.ok(runs[0]);
    run = runs[0];
    serve = await startServe(home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  async function api<T>(path: string): Promise<T> {
    const r = await http(`${serve.url}${path}`);
    assert.equal(r.status, 200, `${path}: ${r.body.toString('utf8')}`);
    return JSON.parse(r.body.toString('utf8')) as T;
  }

  test('its run, per pack outcome and code, in /api/runs; the source status in /api/sources', async () => {
    const data = await api<{ sources: Array<{ source: string; runs: RunRecord[] }> }>('/api/runs');
    const shown = data.sources[0]?.runs[0];
    assert.equal(shown?.runId, run.runId);
    assert.equal(shown?.outcome, 'failed');
    assert.deepEqual(
      shown?.packs.map((p) => [p.id, p.outcome, p.code ?? null]),
      [
        ['acme.core', 'installed', null],
        ['acme.gone', 'failed', 'fetch_failed'],
      ],
    );
    const packs = await api<CatalogData>('/api/packs');
    assert.equal(packs.packs.find((p) => p.id === 'acme.core')?.installed?.status, 'pending-review');
    const s = await api<{
      sources: Array<{
        name: string;
        registered: boolean;
        lastOutcome: string;
        lastRunAt: string;
        nextRunAt: string;
        backoff: { consecutiveFailures: number; backingOff: boolean; effectiveIntervalMs: number };
      }>;
    }>('/api/sources');
    const lab = s.sources[0];
    assert.equal(lab?.name, 'lab');
    assert.equal(lab?.registered, true);
    assert.equal(lab?.lastOutcome, 'failed');
    assert.deepEqual(lab?.backoff, { consecutiveFailures: 1, backingOff: false, effectiveIntervalMs: 300_000 });
    assert.equal(Date.parse(lab?.nextRunAt ?? '') - Date.parse(lab?.lastRunAt ?? ''), 300_000);
  });

  test('a pack from a git source is pulled as ID:VERSION, not by its store name', async () => {
    const rows = await api<{ rows: Array<{ pullAs: string; tags: string[]; source: string }> }>('/api/artifacts');
    const core = rows.rows.find((r) => r.pullAs === 'acme.core:1.0.0');
    assert.ok(core, JSON.stringify(rows.rows));
    assert.match(core.tags[0] ?? '', /^scrydon\.sources\/git-[^/]+\/acme\.core:1\.0\.0$/);
    assert.equal(core.source, 'lab');
  });

  test(
    'the same run and source status in headless Chromium; the pack row names it acme.core:1.0.0',
    { skip: NO_CHROMIUM },
    async () => {
      await withPage(serve.url, '#/runs', { ready: `#runs tr.run-row[data-run="${run.runId}"]` }, async (page) => {
        const row = await text(page, `#runs tr.run-row[data-run="${run.runId}"]`);
        assert.ok(row.includes('fetch_failed') && row.includes('acme.gone 2.0.0'), row);
        const lab = await text(page, '#sources tr.source-row[data-source="lab"]');
        assert.ok(lab.includes('git') && lab.includes('failed') && lab.includes('UTC'), lab);
        await shot(page, 'reconcile-runs');
        await page.click('#nav-packs');
        await page.waitForSelector('#artifacts-list tr.artifact-row');
        assert.ok((await text(page, '#artifacts-list')).includes('pending-review'));
        assert.equal(await page.getAttribute('#artifacts-list tr.artifact-row', 'data-pull'), 'acme.core:1.0.0');
        await shot(page, 'reconcile-list');
      });
    },
  );
});
