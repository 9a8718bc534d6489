import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, FIXTURES, scrydon, tempDir, type RunOptions, type RunResult } from '../helpers/cli.js';
import { makeGitRepo, startGitServer, type RunningGitServer } from '../helpers/git-server.js';
import { publishCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * Planted passwords — a registry login, an OCI source credential, a git PAT, the cosign key password, and wrong
 * ones of each — never appear in any output (stdout and stderr, plain, --debug and --json, successes and
 * failures), in any file under SCRYDON_HOME but the credential store itself (auth.json, 0600: sources.yaml,
 * state, run history, locks, the store, the git cache), in the key files, or in an archive `save` writes.
 * Each is looked for as itself and in the Basic-auth form a request carries.
 */

const REG_PW = 'Reg-Pass-w0rd-7f3a91';
const SRC_PW = 'Src-Cred-5b8e20c4';
const GIT_PAT = 'glpat-Sweep-Pat-0c6d2e';
const COSIGN_PW = 'Cosign-Pw-9d1e77aa';
const WRONG = {
  reg: 'Wrong-Reg-4411aa',
  src: 'Wrong-Src-9911bb',
  pat: 'glpat-Wrong-5533cc',
  cosign: 'Wrong-Cosign-3321dd',
};

/** Each secret as itself and as an HTTP Basic credential (base64 of user:secret). */
const FORMS: Array<[string, string]> = [
  ...[REG_PW, SRC_PW, GIT_PAT, COSIGN_PW, ...Object.values(WRONG)].map((s): [string, string] => [s, s]),
  ...(
    [
      ['alice', REG_PW],
      ['ci', SRC_PW],
      ['x-access-token', GIT_PAT],
      ['alice', WRONG.reg],
      ['ci', WRONG.src],
      ['x-access-token', WRONG.pat],
    ] as const
  ).map(([u, s]): [string, string] => [`base64(${u}:${s})`, Buffer.from(`${u}:${s}`).toString('base64')]),
];

function leaks(bytes: Buffer | string): string[] {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return FORMS.filter(([, form]) => b.includes(form)).map(([name]) => name);
}

/** Every regular file under `dir`, recursively (symlinks are not followed). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

let registry: RunningRegistry;
let gitServer: RunningGitServer;
let repoRoot = '';
const outputs: Array<{ what: string; r: RunResult }> = [];

/** Runs a command and keeps its output for the sweep; returns the result (its exit code is the test's to judge). */
async function run(args: string[], o: RunOptions): Promise<RunResult> {
  const r = await scrydon(args, o);
  outputs.push({ what: `scrydon ${args.join(' ')}`, r });
  return r;
}

/** Runs a command plain and with `--debug --json` (a success) or `--debug` (a failure); asserts each exits `code`. */
async function each(
  args: string[],
  o: RunOptions,
  code = 0,
  variants: string[][] = code === 0 ? [[], ['--debug', '--json']] : [[], ['--debug']],
): Promise<void> {
  for (const v of variants) {
    const r = await run([...args, ...v], o);
    assert.equal(r.code, code, `scrydon ${[...args, ...v].join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  }
}

before(async () => {
  registry = await startRegistry({ kind: 'htpasswd', users: { alice: REG_PW, ci: SRC_PW } });
  const repo = await makeGitRepo('acme');
  await repo.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await repo.write(
    'scrydon.yaml',
    'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - {id: acme.core, version: 1.0.0, artifact: {kind: git-tar, ref: main, path: packs/acme-core}, signature: {kind: none}}\n',
  );
  repo.commit('catalog');
  repoRoot = join(repo.bare, '..');
  gitServer = await startGitServer(repoRoot, GIT_PAT);
});

after(async () => {
  await gitServer?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('planted passwords', () => {
  test('appear in no output, no file of SCRYDON_HOME but auth.json, no key file and no saved archive', async () => {
    const home = await tempDir();
    const keys = await tempDir();
    const archive = join(await tempDir(), 'all.tar');
    const base = { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() };
    const o: RunOptions = { home, env: base };
    const cosign = (pw: string): RunOptions => ({ home, env: { ...base, COSIGN_PASSWORD: pw } });
    const reg = registry.host;

    // signing: the key password
    await each(['key', 'generate', '--dir', keys], cosign(COSIGN_PW), 0, [[]]);
    await each(['build', join(FIXTURES, 'packs', 'acme-fraud')], o, 0, [[]]);
    await each(['sign', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.key')], cosign(COSIGN_PW));
    await each(['sign', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.key')], cosign(WRONG.cosign), 1);
    await each(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub'), '--debug', '--json'], o, 0, [[]]);

    // a registry login, used by push, pull and inspect; wrong passwords on the way
    await each(
      ['login', reg, '--username', 'alice', '--password-stdin', '--plain-http'],
      { ...o, input: WRONG.reg },
      1,
    );
    await each(
      ['login', reg, '--username', 'alice', '--password-stdin', '--plain-http', '--debug'],
      { ...o, input: REG_PW },
      0,
      [[]],
    );
    await each(['push', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--debug', '--json'], o, 0, [
      [],
    ]);
    await each(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http'], o);
    await each(['inspect', '--remote', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--debug', '--json'], o, 0, [[]]);
    await each(
      ['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--username', 'alice', '--password-stdin', '--debug'],
      { ...o, input: WRONG.reg },
      1,
      [[]],
    );

    // an OCI source with its own credential (username:token), a git source over smart HTTP with a PAT; wrong ones of
    // each
    await publishCatalog(
      reg,
      'acme/catalog',
      'catalog',
      `apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - {id: acme.fraud, version: 1.2.0, artifact: {kind: oci, ref: "${reg}/acme/fraud:1.2.0"}, signature: {kind: none}}\n`,
      `alice:${REG_PW}`,
    );
    const oci = [
      '--type',
      'oci',
      '--url',
      `${reg}/acme/catalog`,
      '--plain-http',
      '--credential-stdin',
      '--signature-policy',
      'unsigned-allowed',
    ];
    const git = [
      '--type',
      'git',
      '--url',
      `${gitServer.base}/acme.git`,
      '--plain-http',
      '--credential-stdin',
      '--signature-policy',
      'unsigned-allowed',
    ];
    await each(['source', 'add', 'reg', ...oci, '--json'], { ...o, input: `ci:${SRC_PW}` }, 0, [[]]);
    await each(['source', 'add', 'badreg', ...oci], { ...o, input: `ci:${WRONG.src}` }, 0, [[]]);
    await each(['source', 'add', 'gitsrc', ...git], { ...o, input: GIT_PAT }, 0, [[]]);
    await each(['source', 'add', 'badgit', ...git], { ...o, input: WRONG.pat }, 0, [[]]);
    for (const s of ['reg', 'gitsrc']) await each(['source', 'test', s, '--debug', '--json'], o, 0, [[]]);
    for (const s of ['badreg', 'badgit']) await each(['source', 'test', s, '--debug'], o, 1, [[]]);
    await each(['source', 'show', 'reg', '--json'], o, 0, [[]]);
    await each(['source', 'ls'], o, 0, [[]]);
    for (const s of ['gitsrc', 'reg']) await each(['reconcile', s, '--force'], o);
    for (const s of ['badreg', 'badgit']) await each(['reconcile', s, '--force'], o, 1, [['--json'], ['--debug']]);
    for (const s of ['reg', 'badgit']) await each(['source', 'history', s], o, 0, [[], ['--json']]);

    // an archive of everything; then the store, state and key files
    await each(['save', '--all', '-o', archive, '--debug'], o, 0, [[]]);

    const found: string[] = [];
    for (const { what, r } of outputs) for (const l of leaks(r.stdout + r.stderr)) found.push(`${what}: ${l}`);
    const authFile = join(home, 'auth.json');
    assert.equal((await stat(authFile)).mode & 0o777, 0o600);
    assert.ok(
      leaks(await readFile(authFile)).length > 0,
      'the sweep does not find the secrets even where they are kept',
    );
    const files = [...(await filesUnder(home)).filter((f) => f !== authFile), ...(await filesUnder(keys)), archive];
    for (const f of files) for (const l of leaks(await readFile(f))) found.push(`${f}: ${l}`);
    assert.deepEqual(found, []);
    // the sweep looked where it meant to: the runs were recorded, the sources registered, the pack installed
    const names = files.map((f) => f.slice(home.length));
    for (const expected of [
      '/sources.yaml',
      '/state/reg/runs.jsonl',
      '/state/gitsrc/runs.jsonl',
      '/state/badgit/runs.jsonl',
      '/packs/installed.json',
      '/catalog/index.json',
    ]) {
      assert.ok(
        names.includes(expected),
        `${expected} was not written (names: ${names.filter((n) => !n.startsWith('/catalog/blobs')).join(', ')})`,
      );
    }
    assert.ok(
      names.some((n) => n.startsWith('/cache/git/')),
      'the git cache was not written',
    );
  });
});
