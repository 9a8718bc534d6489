import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupTemps,
  FIXTURES,
  have,
  json,
  ok,
  ROOT,
  tempDir,
  type RunOptions,
  type RunResult,
} from '../helpers/cli.js';
import { startRegistry } from '../helpers/registry.js';
import { ensureRelease, pathWithoutNode, RELEASE_DIR, type Release } from '../helpers/release.js';
import { startServe } from '../helpers/serve.js';

/**
 * `bash scripts/release` (issue 16): the npm package installs with no registry at all and runs the demo; the single
 * executable runs the demo and the air-gap flow on a PATH with no Node on it; SHA256SUMS checks at the far side.
 */

/** What the demo and the air-gap flow call besides scrydon (git's own helpers are found from its exec-path). */
const TOOLS = [
  'bash',
  'sh',
  'git',
  'awk',
  'sed',
  'mktemp',
  'cp',
  'mv',
  'rm',
  'find',
  'sort',
  'basename',
  'dirname',
  'cat',
  'ls',
  'mkdir',
  'id',
  'tar',
  'gzip',
];

let release: Release;

before(() => {
  release = ensureRelease();
});
after(cleanupTemps);

/** Runs a program to its end and collects its output. */
function runProgram(
  command: string,
  args: readonly string[],
  o: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: o.cwd ?? ROOT, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}

/** scripts/demo run against an installed scrydon; fails with its output unless it exits 0. */
async function demo(bin: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await runProgram('/bin/bash', [join(ROOT, 'scripts', 'demo')], {
    env: { ...env, SCRYDON_BIN: bin, DEMO_DIR: await tempDir('scrydon-demo-'), NO_COLOR: '1' },
  });
  assert.equal(r.code, 0, `demo exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^Verified \S*acme\.fraud:1\.2\.0 /m);
  assert.match(r.stdout, /acme\.payments +0\.3\.0 .* active/);
  return r.stdout;
}

test('SHA256SUMS covers every file of dist/release/ and `sha256sum -c SHA256SUMS` passes there', async () => {
  const files = (await readdir(RELEASE_DIR)).sort();
  assert.deepEqual(
    files,
    ['SHA256SUMS', `scrydon-${release.version}-linux-x64`, `scrydon-${release.version}.tgz`].sort(),
  );
  const sums = await readFile(join(RELEASE_DIR, 'SHA256SUMS'), 'utf8');
  assert.deepEqual(
    sums
      .trimEnd()
      .split('\n')
      .map((l) => l.split('  ')[1])
      .sort(),
    files.filter((f) => f !== 'SHA256SUMS'),
  );
  const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: RELEASE_DIR, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(
    r.stdout,
    files
      .filter((f) => f !== 'SHA256SUMS')
      .map((f) => `${f}: OK\n`)
      .sort()
      .join(''),
  );
});

test('the npm package installs with no registry (offline, empty cache, fresh prefix); --version, the demo and verify work', async () => {
  const t = await tempDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_offline: 'true',
    npm_config_cache: join(t, 'empty-cache'),
    npm_config_userconfig: join(t, 'no-npmrc'),
    npm_config_registry: 'http://127.0.0.1:9/', // nothing listens there: a registry request could only fail
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  const prefix = join(t, 'prefix');
  const install = await runProgram('npm', ['install', '-g', '--prefix', prefix, release.tarball], { cwd: t, env });
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const pkgDir = join(prefix, 'lib', 'node_modules', 'scrydon');
  const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'scripts'])
    assert.equal(manifest[key], undefined, key);
  await assert.rejects(stat(join(pkgDir, 'node_modules')), /ENOENT/); // nothing was installed beside it

  const bin = join(prefix, 'bin', 'scrydon');
  const version = await runProgram(bin, ['--version'], { env: process.env });
  assert.deepEqual(version, { code: 0, stdout: `${release.version}\n`, stderr: '' });
  await demo(bin, { ...process.env, HOME: await tempDir() });

  // verify on its own: a pack built, signed and checked by the installed command
  const o: RunOptions = { home: await tempDir(), bin, env: { COSIGN_PASSWORD: 'pw' } };
  const keys = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], o);
  await ok(['key', 'generate', '--dir', keys], o);
  await ok(['sign', 'acme.core:1.0.0', '--key', join(keys, 'cosign.key')], o);
  assert.match(
    (await ok(['verify', 'acme.core:1.0.0', '--key', join(keys, 'cosign.pub')], o)).stdout,
    /^Verified acme\.core:1\.0\.0/,
  );
});

describe(
  'the single executable, on a PATH with no Node',
  { skip: !have('skopeo') && 'skopeo is not installed (scripts/test-setup installs it)' },
  () => {
    let path: string;
    before(async () => {
      path = await pathWithoutNode(TOOLS);
      assert.notEqual(
        spawnSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: path } }).status,
        0,
        'node is not on the stripped PATH',
      );
    });

    /** The environment of a machine without Node: only the stripped PATH, a home of its own. */
    async function bare(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
      return { PATH: path, HOME: await tempDir(), ...extra };
    }

    test('runs the whole demo (reconcile --mirror-only, sign, save, load, check, reconcile --offline, verify, approve)', async () => {
      await demo(release.executable, await bare());
    });

    test('build, sign, save, load, verify and serve (skopeo reads it); the version is the package version', async () => {
      const env = await bare({ COSIGN_PASSWORD: 'pw' });
      const connected: RunOptions = { home: await tempDir(), bin: release.executable, env };
      const airgapped: RunOptions = { ...connected, home: await tempDir() };
      assert.equal((await ok(['--version'], connected)).stdout, `${release.version}\n`);
      const keys = await tempDir();
      await ok(['build', join(FIXTURES, 'packs', 'acme-core')], connected); // acme.fraud's dependency, saved with it
      const built = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], connected);
      await ok(['key', 'generate', '--dir', keys], connected);
      await ok(['sign', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.key')], connected);
      const archive = join(await tempDir(), 'airgap.tar');
      await ok(['save', 'acme.fraud:1.2.0', '-o', archive], connected);
      await ok(['load', '-i', archive], airgapped);
      await ok(['check'], airgapped);
      assert.match(
        (await ok(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub')], airgapped)).stdout,
        /^Verified acme\.fraud:1\.2\.0/,
      );
      // pack.json validation reads the schemas the executable carries as assets
      await ok(['validate', join(FIXTURES, 'packs', 'acme-core')], airgapped);

      const serve = await startServe(airgapped.home as string, [], env, release.executable);
      try {
        const raw = spawnSync('skopeo', [
          'inspect',
          '--raw',
          '--tls-verify=false',
          `docker://${serve.host}/acme.fraud:1.2.0`,
        ]);
        assert.equal(raw.status, 0, raw.stderr.toString());
        assert.equal(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`, built.digest);
        const tags = spawnSync('skopeo', ['list-tags', '--tls-verify=false', `docker://${serve.host}/acme.fraud`], {
          encoding: 'utf8',
        });
        assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ['1.2.0']);
      } finally {
        await serve.stop();
      }
    });

    test('login keeps the secret in the 0600 file and says the executable has no OS keychain module', async () => {
      const registry = await startRegistry();
      try {
        const o: RunOptions = { home: await tempDir(), bin: release.executable, env: await bare() };
        const r = await ok(['login', registry.host, '-u', 'u', '--password-stdin', '--plain-http'], {
          ...o,
          input: 'secret\n',
        });
        assert.match(r.stderr, /the single executable has no OS keychain module .*auth\.json \(mode 0600/);
        assert.equal((await stat(join(o.home as string, 'auth.json'))).mode & 0o777, 0o600);
      } finally {
        await registry.stop();
      }
    });
  },
);
