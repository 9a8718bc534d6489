import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { homePaths } from '../../src/config/paths.js';
import { appendRun, type RunRecord } from '../../src/reconcile/history.js';
import type { CatalogData } from '../../src/serve/catalog-data.js';
import type { PackDiff } from '../../src/serve/pack-files.js';
import { cleanupTemps, FIXTURES, json, ok, ROOT, scrydon, tempDir } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';
import { http, startServe, type RunningServe } from '../helpers/serve.js';

/**
 * The catalog page and its JSON under /api/: packs with versions, signature status (a verified one, an
 * unsigned one), install state, reconcile run history, a pack's detail and a file diff between two versions;
 * then the page itself in a real browser (Debian's chromium, driven by playwright-core), with a screenshot
 * kept in .test-artifacts/.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, '.test-artifacts');

async function api<T>(serve: RunningServe, path: string): Promise<T> {
  const r = await http(`${serve.url}${path}`);
  assert.equal(r.status, 200, `${path}: ${r.body.toString('utf8')}`);
  return JSON.parse(r.body.toString('utf8')) as T;
}

/** Opens `url` in headless Chromium, waits for the pack list, runs `fn`, and fails on any script error of the page. */
async function withPage(url: string, fn: (page: Page) => Promise<void>): Promise<void> {
  const profile = await tempDir('scrydon-chromium-');
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('#packs tr.pack-row');
    await fn(page);
    assert.deepEqual(problems, [], 'no script errors on the page');
  } finally {
    await browser.close();
  }
}

function run(n: number, extra: Partial<RunRecord>): RunRecord {
  const at = new Date(Date.UTC(2025, 5, 1, 12, n)).toISOString();
  return {
    runId: `run-${n}`,
    source: 'prod',
    trigger: 'watch',
    startedAt: at,
    endedAt: at,
    revision: `sha256:${'c'.repeat(64)}`,
    outcome: 'success',
    unsignedAllowed: false,
    packs: [],
    ...extra,
  };
}

describe('scrydon serve: the catalog page and /api/', () => {
  let home: string;
  let serve: RunningServe;
  let v12: string;
  let v13: string;

  before(async () => {
    home = await tempDir();
    const env = { COSIGN_PASSWORD: 'test-password' };
    v12 = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home })).digest;
    // version 1.3.0: one file edited, one added, one removed
    const dir = join(await tempDir(), 'acme-fraud');
    await cp(join(FIXTURES, 'packs', 'acme-fraud'), dir, { recursive: true });
    const pj = JSON.parse(await readFile(join(dir, 'pack.json'), 'utf8')) as { package: { version: string } };
    pj.package.version = '1.3.0';
    await writeFile(join(dir, 'pack.json'), JSON.stringify(pj, null, 2));
    await writeFile(join(dir, 'workflows', 'scripts', 'score.sh'), '#!/bin/sh\necho 0.97\n', { mode: 0o755 });
    await writeFile(join(dir, 'ontology', 'chargebacks.json'), '{"entity": "Chargeback"}\n');
    await cp(join(dir, 'process-flows', 'case-triage.yaml'), join(dir, 'process-flows', 'escalation.yaml'));
    v13 = (await json<{ digest: string }>(['build', dir], { home })).digest;
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home });
    await ok(['install', 'acme.fraud:1.2.0', '--no-deps'], { home }); // acme.core stays stored, not installed
    // 1.2.0 signed and verified here; 1.3.0 unsigned
    const keys = await tempDir();
    await ok(['key', 'generate', '--dir', keys], { home, env });
    await ok(['sign', `acme.fraud@${v12}`, '--key', join(keys, 'cosign.key')], { home, env });
    await ok(['verify', `acme.fraud@${v12}`, '--key', join(keys, 'cosign.pub')], { home });
    const paths = homePaths(home);
    await appendRun(
      paths,
      run(1, { packs: [{ id: 'acme.fraud', version: '1.2.0', digest: v12, outcome: 'installed' }] }),
    );
    await appendRun(
      paths,
      run(2, {
        outcome: 'failed',
        packs: [
          {
            id: 'acme.fraud',
            version: '1.3.0',
            digest: v13,
            outcome: 'failed',
            code: 'signature_not_found',
            detail: 'no signature for sha256:…',
          },
          { id: 'acme.core', version: '1.0.0', outcome: 'unchanged' },
        ],
      }),
    );
    serve = await startServe(home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  test('/api/packs: versions newest first, digest, size, signature status and install state', async () => {
    const data = await api<CatalogData>(serve, '/api/packs');
    assert.deepEqual(
      data.packs.map((p) => p.id),
      ['acme.core', 'acme.fraud'],
    );
    const fraud = data.packs.find((p) => p.id === 'acme.fraud');
    assert.ok(fraud);
    assert.deepEqual(
      fraud.versions.map((v) => v.version),
      ['1.3.0', '1.2.0'],
    );
    const [newer, older] = fraud.versions;
    assert.equal(older?.digest, v12);
    assert.equal(older?.signature.status, 'verified');
    assert.match(older?.signature.signers[0] ?? '', /^key sha256:[a-f0-9]{64}$/);
    assert.equal(older?.installed, true);
    assert.equal(newer?.signature.status, 'failed', 'the last run refused it for want of a signature');
    assert.equal(newer?.signature.code, 'signature_not_found');
    assert.equal(newer?.installed, false);
    assert.equal(fraud.installed?.version, '1.2.0');
    assert.equal(fraud.installed?.status, 'active');
    assert.equal(data.packs.find((p) => p.id === 'acme.core')?.versions[0]?.signature.status, 'unsigned');
    assert.ok((older?.size ?? 0) > 0);
    assert.equal(older?.repository, 'acme.fraud');
    assert.deepEqual(data.artifacts, [], 'signature tags are not listed as artifacts');
  });

  test('/api/runs: per source, newest first, each pack with its outcome and code', async () => {
    const data = await api<{ sources: Array<{ source: string; runs: RunRecord[] }> }>(serve, '/api/runs');
    assert.deepEqual(
      data.sources.map((s) => s.source),
      ['prod'],
    );
    assert.deepEqual(
      data.sources[0]?.runs.map((r) => r.runId),
      ['run-2', 'run-1'],
    );
    assert.equal(data.sources[0]?.runs[0]?.packs[0]?.code, 'signature_not_found');
    const one = await api<{ sources: Array<{ runs: RunRecord[] }> }>(serve, '/api/runs?source=prod&limit=1');
    assert.equal(one.sources[0]?.runs.length, 1);
    assert.equal((await http(`${serve.url}/api/runs?source=../x`)).status, 400);
  });

  test('/api/pack: pack.json and the file list; /api/diff: files added, removed and changed', async () => {
    const detail = await api<{
      digest: string;
      pack: { packJson: { package: { version: string } }; files: Array<{ path: string }> };
      signature: { status: string };
    }>(serve, `/api/pack?ref=${encodeURIComponent('acme.fraud:1.2.0')}`);
    assert.equal(detail.digest, v12);
    assert.equal(detail.pack.packJson.package.version, '1.2.0');
    assert.ok(detail.pack.files.some((f) => f.path === 'workflows/scripts/score.sh'));
    assert.equal(detail.signature.status, 'verified');
    const diff = await api<PackDiff>(
      serve,
      `/api/diff?from=${encodeURIComponent('acme.fraud:1.2.0')}&to=${encodeURIComponent('acme.fraud:1.3.0')}`,
    );
    assert.deepEqual(
      diff.added.map((f) => f.path),
      ['ontology/chargebacks.json', 'process-flows/escalation.yaml'],
    );
    assert.deepEqual(
      diff.changed.map((f) => f.path),
      ['pack.json', 'workflows/scripts/score.sh'],
    );
    assert.deepEqual(diff.removed, []);
    assert.ok(diff.unchanged >= 2);
    const mixed = await http(`${serve.url}/api/diff?from=acme.fraud:1.2.0&to=acme.core:1.0.0`);
    assert.equal(mixed.status, 400);
    assert.equal((JSON.parse(mixed.body.toString('utf8')) as { error: { code: string } }).error.code, 'usage');
    const missing = await http(`${serve.url}/api/pack?ref=acme.fraud:9.9.9`);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body.toString('utf8')) as { error: { code: string } }).error.code, 'not_found');
    const index = await api<{ endpoints: Record<string, string> }>(serve, '/api/');
    assert.ok('/api/packs' in index.endpoints);
  });

  test(
    'the page in headless Chromium: pack list, a run-history row, detail and diff; a screenshot is kept',
    { skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed (scripts/test-setup installs it)' },
    async () => {
      await withPage(serve.url, async (page) => {
        const rows = await page.$$eval('#packs tr.pack-row', (trs) => trs.map((tr) => tr.textContent ?? ''));
        assert.equal(rows.length, 3);
        assert.ok(rows.some((r) => r.includes('acme.fraud') && r.includes('1.3.0')));
        assert.ok(rows.some((r) => r.includes('1.2.0') && r.includes('verified') && r.includes('active')));
        assert.ok(rows.some((r) => r.includes('acme.core') && r.includes('unsigned')));
        const run2 = await page.textContent('#runs tr.run-row[data-run="run-2"]');
        assert.ok(
          run2?.includes('failed') && run2.includes('signature_not_found') && run2.includes('acme.fraud 1.3.0'),
          run2 ?? '',
        );
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'serve-page.png'), fullPage: true });

        await page.click('#packs tr.pack-row[data-ref="acme.fraud:1.3.0"]');
        await page.waitForSelector('#pack-json');
        assert.match((await page.textContent('#pack-json')) ?? '', /"version": "1.3.0"/);
        assert.ok(((await page.textContent('#files')) ?? '').includes('ontology/chargebacks.json'));
        await page.screenshot({ path: join(ARTIFACTS, 'serve-page-detail.png'), fullPage: true });
        await page.click('#diff-form button');
        await page.waitForSelector('#diff-table');
        const diffText = (await page.textContent('#diff')) ?? '';
        assert.match(diffText, /1\.2\.0 → 1\.3\.0/);
        assert.match(diffText, /2 added, 0 removed, 2 changed/);
        await page.screenshot({ path: join(ARTIFACTS, 'serve-page-diff.png'), fullPage: true });
      });
    },
  );
});

describe('scrydon serve: the run history of a real reconcile', () => {
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

  test('a git source reconciled by the CLI: its run, per pack outcome and code, in /api/runs and /api/packs', async () => {
    const data = await api<{ sources: Array<{ source: string; runs: RunRecord[] }> }>(serve, '/api/runs');
    assert.deepEqual(
      data.sources.map((s) => s.source),
      ['lab'],
    );
    const shown = data.sources[0]?.runs[0];
    assert.equal(shown?.runId, run.runId);
    assert.equal(shown?.outcome, 'failed');
    assert.equal(shown?.unsignedAllowed, true);
    assert.deepEqual(
      shown?.packs.map((p) => [p.id, p.outcome, p.code ?? null]),
      [
        ['acme.core', 'installed', null],
        ['acme.gone', 'failed', 'fetch_failed'],
      ],
    );
    const packs = await api<CatalogData>(serve, '/api/packs');
    assert.equal(packs.packs.find((p) => p.id === 'acme.core')?.installed?.status, 'pending-review');
  });

  test(
    'the same run as a row of the page in headless Chromium',
    { skip: !existsSync(CHROMIUM) && 'Debian chromium is not installed (scripts/test-setup installs it)' },
    async () => {
      await withPage(serve.url, async (page) => {
        const row = await page.textContent(`#runs tr.run-row[data-run="${run.runId}"]`);
        assert.ok(
          row?.includes('failed') && row.includes('fetch_failed') && row.includes('acme.gone 2.0.0'),
          row ?? '',
        );
        assert.ok(((await page.textContent('#packs')) ?? '').includes('pending-review'));
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'serve-page-reconcile.png'), fullPage: true });
      });
    },
  );
});
