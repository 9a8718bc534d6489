import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { makeGitRepo, startGitServer, type GitRepoFixture, type RunningGitServer } from '../helpers/git-server.js';

/**
 * `scrydon source add/ls/show/rm/enable/disable/test/history`: sources.yaml, defaults and bounds, unique names,
 * the credential kept in the secret store (never shown, never in sources.yaml), unsigned-allowed warned about,
 * and Test connection against real repositories — file:// and smart HTTP (`git http-backend` behind a loopback
 * server that checks a PAT) — persisting nothing.
 */

const PAT = 'ghp_TestToken_never_print_me_42';
let repo: GitRepoFixture;
let server: RunningGitServer;
let pub: string;

async function env(): Promise<RunOptions & { home: string }> {
  const home = await tempDir();
  return { home, env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

before(async () => {
  repo = await makeGitRepo('acme-packs');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await repo.write(
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
  repo.commit('catalog');
  server = await startGitServer(join(repo.bare, '..'), PAT);
  const dir = await tempDir();
  pub = join(dir, 'cosign.pub');
  await ok(['key', 'generate', '--dir', dir], { env: { COSIGN_PASSWORD: 'pw' } });
});

after(async () => {
  await server?.close();
  await cleanupTemps();
});

describe('source registration', () => {
  test('add applies the reference defaults; ls and show list it; sources.yaml follows the schema', async () => {
    const o = await env();
    const added = await json<{
      source: { ref: string; catalogPath: string; interval: string; intervalMs: number; enabled: boolean };
    }>(
      [
        'source',
        'add',
        'acme',
        '--type',
        'git',
        '--url',
        repo.url,
        '--signature-policy',
        'cosign-key',
        '--public-key',
        pub,
      ],
      o,
    );
    assert.equal(added.source.ref, 'main');
    assert.equal(added.source.catalogPath, 'scrydon.yaml');
    assert.equal(added.source.interval, '5m');
    assert.equal(added.source.intervalMs, 300_000);
    assert.equal(added.source.enabled, true);
    const oci = await json<{ source: { ref: string } }>(
      [
        'source',
        'add',
        'reg',
        '--type',
        'oci',
        '--url',
        'oci://127.0.0.1:5000/acme/scrydon-catalog',
        '--plain-http',
        '--signature-policy',
        'cosign-keyless',
        '--certificate-identity-regexp',
        '^https://github.com/acme/',
        '--certificate-oidc-issuer',
        'https://token.actions.githubusercontent.com',
        '--interval',
        '1h',
      ],
      o,
    );
    assert.equal(oci.source.ref, 'catalog');
    const list = await json<Array<{ name: string; type: string; transport: { plainHttp: boolean } }>>(
      ['source', 'ls'],
      o,
    );
    assert.deepEqual(
      list.map((s) => [s.name, s.type]),
      [
        ['acme', 'git'],
        ['reg', 'oci'],
      ],
    );
    assert.equal(list[1]?.transport.plainHttp, true);
    const text = await readFile(join(o.home, 'sources.yaml'), 'utf8');
    assert.match(text, /kind: SourceList/);
    assert.match(text, /BEGIN PUBLIC KEY/);
    const shown = (await ok(['source', 'show', 'acme'], o)).stdout;
    assert.match(shown, /last reconciled revision: none/);
  });

  test('names are unique; bad interval, URL, missing policy and a password in the URL are usage errors', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    expectError(
      await scrydon(
        ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
        o,
      ),
      'source_exists',
    );
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'b',
          '--type',
          'git',
          '--url',
          repo.url,
          '--signature-policy',
          'unsigned-allowed',
          '--interval',
          '10s',
        ],
        o,
      ),
      'usage',
      2,
    );
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'b',
          '--type',
          'git',
          '--url',
          repo.url,
          '--signature-policy',
          'unsigned-allowed',
          '--interval',
          '2d',
        ],
        o,
      ),
      'usage',
      2,
    );
    expectError(await scrydon(['source', 'add', 'b', '--type', 'git', '--url', repo.url], o), 'usage', 2);
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'b',
          '--type',
          'git',
          '--url',
          'https://u:secret@example.com/r.git',
          '--signature-policy',
          'unsigned-allowed',
        ],
        o,
      ),
      'usage',
      2,
    );
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'b',
          '--type',
          'git',
          '--url',
          'http://example.com/r.git',
          '--signature-policy',
          'unsigned-allowed',
        ],
        o,
      ),
      'usage',
      2,
    );
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'b',
          '--type',
          'oci',
          '--url',
          'ghcr.io/acme/cat:v1',
          '--signature-policy',
          'unsigned-allowed',
        ],
        o,
      ),
      'usage',
      2,
    );
    expectError(
      await scrydon(
        ['source', 'add', '../x', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
        o,
      ),
      'usage',
      2,
    );
    expectError(await scrydon(['source', 'show', 'nope'], o), 'source_not_found');
    assert.equal((await json<unknown[]>(['source', 'ls'], o)).length, 1);
  });

  test('unsigned-allowed is an explicit opt-in: registering it warns', async () => {
    const o = await env();
    const r = await ok(
      ['source', 'add', 'lab', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    assert.match(r.stderr, /warning: source lab: unsigned-allowed/);
    assert.match((await ok(['source', 'ls'], o)).stdout, /unsigned-allowed \(!\)/);
  });

  test('the credential goes to the secret store as pack-source-NAME and is never shown again; rm deletes it', async () => {
    const o = await env();
    const url = `${server.base}/acme-packs.git`;
    await ok(
      [
        'source',
        'add',
        'priv',
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
    const auth = await readFile(join(o.home, 'auth.json'), 'utf8');
    assert.match(auth, /pack-source-priv/);
    assert.ok(!(await readFile(join(o.home, 'sources.yaml'), 'utf8')).includes(PAT));
    for (const args of [
      ['source', 'show', 'priv'],
      ['source', 'show', 'priv', '--json'],
      ['source', 'ls', '--json'],
    ]) {
      const r = await ok(args, o);
      assert.ok(!r.stdout.includes(PAT) && !r.stderr.includes(PAT), `${args.join(' ')} printed the credential`);
    }
    assert.match((await ok(['source', 'show', 'priv'], o)).stdout, /stored as pack-source-priv \(never shown\)/);
    await ok(['source', 'rm', 'priv'], o);
    assert.ok(!(await readFile(join(o.home, 'auth.json'), 'utf8')).includes('pack-source-priv'));
    assert.equal((await json<unknown[]>(['source', 'ls'], o)).length, 0);
  });

  test('a credential of the wrong form for the source is refused before anything is stored', async () => {
    const o = await env();
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'x',
          '--type',
          'oci',
          '--url',
          '127.0.0.1:5000/a/b',
          '--credential-stdin',
          '--signature-policy',
          'unsigned-allowed',
        ],
        { ...o, input: 'just-a-token' },
      ),
      'usage',
      2,
    );
    expectError(
      await scrydon(
        [
          'source',
          'add',
          'x',
          '--type',
          'git',
          '--url',
          'git@example.com:acme/packs.git',
          '--credential-stdin',
          '--signature-policy',
          'unsigned-allowed',
        ],
        { ...o, input: PAT },
      ),
      'usage',
      2,
    );
    assert.deepEqual(
      (await readdir(o.home).catch(() => [])).filter((f) => f === 'auth.json' || f === 'sources.yaml'),
      [],
    );
  });

  test('enable and disable flip the source; rm of an unknown source fails', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    await ok(['source', 'disable', 'acme'], o);
    assert.equal((await json<Array<{ enabled: boolean }>>(['source', 'ls'], o))[0]?.enabled, false);
    await ok(['source', 'enable', 'acme'], o);
    assert.equal((await json<Array<{ enabled: boolean }>>(['source', 'ls'], o))[0]?.enabled, true);
    expectError(await scrydon(['source', 'rm', 'ghost'], o), 'source_not_found');
  });

  test('a hand-edited sources.yaml with a typo is config_invalid naming the key and line', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    const file = join(o.home, 'sources.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('url:', 'ulr:'));
    const r = expectError(await scrydon(['source', 'ls'], o), 'config_invalid');
    assert.match(r.stderr, /unknown key 'ulr'/);
    assert.match(r.stderr, /line \d+/);
  });
});

describe('source test (Test connection)', () => {
  test('file://: reaches the repository and parses scrydon.yaml, persisting nothing', async () => {
    const o = await env();
    await ok(
      ['source', 'add', 'acme', '--type', 'git', '--url', repo.url, '--signature-policy', 'unsigned-allowed'],
      o,
    );
    const r = await json<{ revision: string; packs: Array<{ id: string }> }>(['source', 'test', 'acme'], o);
    assert.match(r.revision, /^[0-9a-f]{40}$/);
    assert.deepEqual(
      r.packs.map((p) => p.id),
      ['acme.core'],
    );
    const left = await readdir(o.home);
    assert.ok(!left.includes('catalog') && !left.includes('cache') && !left.includes('state'), left.join(' '));
    assert.deepEqual(await readdir(join(o.home, 'tmp')), []);
  });

  test('smart HTTP with a PAT: the right token works before anything is registered; a wrong one is fetch_failed and never echoed', async () => {
    const o = await env();
    const url = `${server.base}/acme-packs.git`;
    const flags = [
      '--type',
      'git',
      '--url',
      url,
      '--plain-http',
      '--credential-stdin',
      '--signature-policy',
      'unsigned-allowed',
    ];
    const good = await json<{ packs: unknown[] }>(['source', 'test', 'new', ...flags], { ...o, input: PAT });
    assert.equal(good.packs.length, 1);
    assert.ok(server.requests.some((q) => q.authorized));
    const bad = expectError(
      await scrydon(['source', 'test', 'new', ...flags], { ...o, input: 'wrong-token-also-secret' }),
      'fetch_failed',
    );
    assert.ok(!bad.stderr.includes('wrong-token-also-secret'));
    const none = expectError(
      await scrydon(
        [
          'source',
          'test',
          'new',
          '--type',
          'git',
          '--url',
          url,
          '--plain-http',
          '--signature-policy',
          'unsigned-allowed',
        ],
        o,
      ),
      'fetch_failed',
    );
    assert.match(none.stderr, /git/);
    assert.ok(!(await readdir(o.home)).includes('sources.yaml'));
  });

  test('a typo in scrydon.yaml is parse_failed naming the key path and line', async () => {
    const bad = await makeGitRepo('typo');
    await bad.write('scrydon.yaml', await readFile(join(FIXTURES, 'catalogs', 'invalid-typo.yaml'), 'utf8'));
    bad.commit('typo');
    const o = await env();
    await ok(['source', 'add', 't', '--type', 'git', '--url', bad.url, '--signature-policy', 'unsigned-allowed'], o);
    const r = expectError(await scrydon(['source', 'test', 't'], o), 'parse_failed');
    assert.match(r.stderr, /packs\[0\]: unknown key 'verison'/);
    assert.match(r.stderr, /\(line \d+\)/);
  });

  test('a missing ref or catalog path is fetch_failed', async () => {
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'a',
        '--type',
        'git',
        '--url',
        repo.url,
        '--ref',
        'nope',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    );
    await ok(
      [
        'source',
        'add',
        'b',
        '--type',
        'git',
        '--url',
        repo.url,
        '--catalog-path',
        'other.yaml',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    );
    expectError(await scrydon(['source', 'test', 'a'], o), 'fetch_failed');
    const r = expectError(await scrydon(['source', 'test', 'b'], o), 'fetch_failed');
    assert.match(r.stderr, /other\.yaml/);
  });
});
