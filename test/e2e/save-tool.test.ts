import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, have, json, ok, ROOT, scrydon, tempDir } from '../helpers/cli.js';
import { measuredRun } from '../helpers/hostile-registry.js';

/**
 * save --with-tool, end to end: scrydon carried in an archive from one home, loaded in another, and taken out on
 * the far side with tar and sha256sum alone (the command save prints, and the README's one-liner); the tool runs.
 * Under Node the tool is the npm package of the running install; --tool-file carries a ~100 MB executable (a copy
 * of node, named as the release names scrydon's) streamed with flat memory. skopeo reads the packs beside it.
 */

const ENV = { COSIGN_PASSWORD: 'tool pass' };
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const MiB = 1024;

interface ToolData {
  ref: string;
  kind: string;
  name: string;
  version: string;
  platform: string;
  digest: string;
  size: number;
  checksums: string;
  manifest: string;
  signatures: string[];
  extract: string;
}
interface SaveOut {
  refs: Array<{ ref: string; digest: string }>;
  tool?: ToolData;
}

let work: string;
let a: string;
let archive: string;
let saved: ToolData;

function sh(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  // only what the far side has: tar, grep, sha256sum, sh (no scrydon on PATH)
  const r = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function storeHasBlob(home: string, digest: string): Promise<boolean> {
  return existsSync(join(home, 'catalog', 'blobs', 'sha256', digest.slice(7)));
}

before(async () => {
  work = await tempDir();
  a = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: a });
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: a });
  await ok(['key', 'generate', '--dir', work], { env: ENV });
  archive = join(work, 'fraud.tar');
  const r = await json<SaveOut>(
    ['save', 'acme.fraud:1.2.0', '--with-tool', '--key', join(work, 'cosign.key'), '-o', archive],
    { home: a, env: ENV },
  );
  assert.ok(r.tool, 'save reports the tool it carried');
  saved = r.tool;
});

after(cleanupTemps);

describe('save --with-tool under Node', () => {
  test('carries the npm package of the running install as scrydon.tool:<version>-npm, in the archive only', async () => {
    assert.equal(saved.kind, 'npm package');
    assert.equal(saved.name, `scrydon-${VERSION}.tgz`);
    assert.equal(saved.ref, `scrydon.tool:${VERSION}-npm`);
    assert.equal(saved.signatures.length, 1);
    const index = JSON.parse(sh(`tar -xOf ${archive} index.json`, work).stdout) as {
      manifests: Array<{ annotations?: Record<string, string> }>;
      annotations?: Record<string, string>;
    };
    assert.ok(index.manifests.some((m) => m.annotations?.['org.opencontainers.image.ref.name'] === saved.ref));
    assert.equal(index.annotations?.['io.scrydon.tool.sha256sums'], saved.checksums);
    // the saving store gains nothing
    assert.ok(!(await json<Array<{ ref: string }>>(['ls'], { home: a })).some((e) => e.ref.startsWith('scrydon.tool')));
    assert.ok(!(await storeHasBlob(a, saved.digest)));
  });

  test('the command save prints takes it out with tar, sha256sum -c passes, and the package runs unpacked', async () => {
    const far = await tempDir();
    const r = sh(saved.extract, work);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${saved.name.replaceAll('.', '\\.')}: OK$`, 'm'));
    const tgz = join(work, saved.name);
    assert.equal(sha256(await readFile(tgz)), saved.digest);
    assert.equal(sh(`tar -xzf ${tgz}`, far).code, 0);
    const v = spawnSync(process.execPath, [join(far, 'package', 'dist', 'bin', 'scrydon.js'), '--version'], {
      encoding: 'utf8',
      cwd: far,
      env: { PATH: '/usr/bin:/bin' },
    });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
  });

  test('the package holds what npm pack puts in it', async () => {
    const listed = sh(`tar -tzf ${join(work, saved.name)}`, work)
      .stdout.trim()
      .split('\n')
      .sort();
    const npm = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, npm_config_offline: 'true' },
    });
    assert.equal(npm.status, 0, npm.stderr);
    const files = (JSON.parse(npm.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files
      .map((f) => `package/${f.path}`)
      .sort();
    assert.deepEqual(listed, files);
  });

  test("the README's one-liner takes the tool out of the archive", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('A=') && l.includes('io.scrydon.tool.sha256sums'));
    assert.ok(line, 'README documents the one-liner');
    const far = await tempDir();
    await symlink(archive, join(far, 'fraud.tar'));
    const r = sh(line, far);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: OK$/m);
    assert.equal(sha256(await readFile(join(far, saved.name))), saved.digest);
  });

  test('from an install without a "files" list (as the release package is), the carried package installs with no registry and carries itself again', async () => {
    // the release package: the carried tarball's files, its package.json with no files list and no dependencies
    const unpacked = await tempDir();
    assert.equal(sh(`${saved.extract} && tar -xzf ${saved.name} && rm ${saved.name} SHA256SUMS`, unpacked).code, 0);
    const pkgDir = join(unpacked, 'package');
    const manifest = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['files', 'dependencies', 'devDependencies', 'scripts', 'main', 'types', 'exports'])
      delete manifest[k];
    await writeFile(join(pkgDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const fromInstall = (bin: string, out: string): ToolData => {
      const r = spawnSync(process.execPath, [bin, 'save', '--with-tool', '-o', out, '--json'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, SCRYDON_HOME: join(unpacked, 'home') },
      });
      assert.equal(r.status, 0, r.stderr);
      return (JSON.parse(r.stdout) as SaveOut).tool as ToolData;
    };
    const tool = fromInstall(join(pkgDir, 'dist', 'bin', 'scrydon.js'), join(unpacked, 'tool.tar'));
    const far = await tempDir();
    assert.equal(sh(tool.extract, far).code, 0);
    const listed = sh(`tar -tzf ${tool.name}`, far).stdout.trim().split('\n').sort();
    const files = sh('find package -type f', unpacked).stdout.trim().split('\n').sort();
    assert.deepEqual(listed, files, 'the whole package directory, and nothing else');
    // offline, with an empty cache, into a fresh prefix
    const prefix = await tempDir();
    const cache = await tempDir();
    const npm = spawnSync('npm', ['install', '-g', '--prefix', prefix, join(far, tool.name)], {
      encoding: 'utf8',
      env: {
        ...process.env,
        npm_config_offline: 'true',
        npm_config_cache: cache,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      },
    });
    assert.equal(npm.status, 0, npm.stderr);
    const v = spawnSync(join(prefix, 'bin', 'scrydon'), ['--version'], { encoding: 'utf8' });
    assert.equal(v.stdout.trim(), VERSION, v.stderr);
    // the installed copy carries itself: the same bytes it was installed from
    const again = fromInstall(
      join(prefix, 'lib', 'node_modules', 'scrydon', 'dist', 'bin', 'scrydon.js'),
      join(unpacked, 'again.tar'),
    );
    assert.equal(again.digest, tool.digest);
  });
});

describe('the far side: load, then the store with a tool artifact in it', () => {
  let b: string;
  before(async () => {
    b = await tempDir();
    const r = await json<{ refs: Array<{ ref: string }> }>(['load', '-i', archive], { home: b });
    assert.deepEqual(r.refs.map((x) => x.ref).sort(), ['acme.core:1.0.0', 'acme.fraud:1.2.0', saved.ref]);
  });

  test('the signed tool verifies after load with the public key, and not with another', async () => {
    const v = await json<{ digest: string; verified: Array<{ format: string }> }>(
      ['verify', saved.ref, '--key', join(work, 'cosign.pub')],
      { home: b },
    );
    assert.equal(v.digest, saved.manifest);
    assert.equal(v.verified[0]?.format, 'bundle');
    const other = await tempDir();
    await ok(['key', 'generate', '--dir', other], { env: ENV });
    expectError(await scrydon(['verify', saved.ref, '--key', join(other, 'cosign.pub')], { home: b }), 'key_mismatch');
  });

  test('ls shows it (not as a pack), check and gc keep it, install refuses it and still installs packs beside it', async () => {
    const ls = await json<Array<{ ref: string; id: string | null; artifactType: string | null }>>(['ls'], { home: b });
    const entry = ls.find((e) => e.ref === saved.ref);
    assert.deepEqual(
      { id: entry?.id, artifactType: entry?.artifactType },
      { id: null, artifactType: 'application/vnd.scrydon.tool.v1' },
    );
    assert.equal((await json<{ ok: boolean }>(['check'], { home: b })).ok, true);
    await ok(['gc', '--grace', '0s'], { home: b });
    assert.ok(await storeHasBlob(b, saved.digest), 'gc keeps the tool');
    const installState = join(b, 'packs', 'installed.json');
    const before = existsSync(installState) ? await readFile(installState, 'utf8') : undefined;
    expectError(await scrydon(['install', saved.ref], { home: b }), 'unsupported_media_type');
    assert.equal(
      existsSync(installState) ? await readFile(installState, 'utf8') : undefined,
      before,
      'a refused install changes nothing',
    );
    await ok(['install', 'acme.core:1.0.0'], { home: b });
    await ok(['install', 'acme.fraud:1.2.0'], { home: b });
  });

  test('a delta (--exclude-inventory) still carries the tool, even when the far side holds it', async () => {
    const inv = join(work, 'have.json');
    await ok(['inventory', '-o', inv], { home: b });
    const delta = join(work, 'delta.tar');
    await ok(['save', 'acme.fraud:1.2.0', '--with-tool', '--exclude-inventory', inv, '-o', delta], { home: a });
    const names = sh(`tar -tf ${delta}`, work).stdout;
    assert.ok(names.includes(`blobs/sha256/${saved.digest.slice(7)}`), 'the tool file is in the delta');
    assert.ok(names.includes(`blobs/sha256/${saved.checksums.slice(7)}`), 'its SHA256SUMS is in the delta');
  });
});

describe(
  'skopeo and an archive that carries the tool',
  { skip: have('skopeo') ? false : 'skopeo is not installed (scripts/test-setup installs it)' },
  () => {
    function skopeo(...args: string[]): string {
      const r = spawnSync('skopeo', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return r.stdout;
    }

    test('skopeo reads and copies each pack byte for byte, and the tool artifact too', async () => {
      for (const ref of ['acme.fraud:1.2.0', 'acme.core:1.0.0']) {
        const digest = (await json<{ digest: string }>(['inspect', ref], { home: a })).digest;
        const ours = await readFile(join(a, 'catalog', 'blobs', 'sha256', digest.slice(7)), 'utf8');
        assert.equal(skopeo('inspect', '--raw', `oci-archive:${archive}:${ref}`), ours);
        const dir = join(work, `skopeo-${ref.replace(':', '-')}`);
        skopeo('copy', '-q', `oci-archive:${archive}:${ref}`, `dir:${dir}`);
        assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), ours);
      }
      const dir = join(work, 'skopeo-tool');
      skopeo('copy', '-q', `oci-archive:${archive}:${saved.ref}`, `dir:${dir}`);
      assert.equal(sha256(await readFile(join(dir, saved.digest.slice(7)))), saved.digest);
    });
  },
);

describe('--tool-file: a ~100 MB executable', () => {
  test('streams into the archive with flat memory, comes out byte for byte, and runs', async () => {
    const exe = join(work, 'scrydon-9.9.9-linux-x64');
    await copyFile(process.execPath, exe); // node itself: a real executable of the single executable's size
    const size = (await stat(exe)).size;
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home });
    const out = join(work, 'big.tar');
    const withTool = await measuredRun(['save', 'acme.core:1.0.0', '--tool-file', exe, '-o', out, '--json'], {
      home,
      timeoutMs: 120_000,
      rssCapKiB: 400 * MiB,
    });
    assert.equal(withTool.code, 0, withTool.stderr);
    const plain = await measuredRun(['save', 'acme.core:1.0.0', '-o', join(work, 'plain.tar')], {
      home,
      timeoutMs: 120_000,
      rssCapKiB: 400 * MiB,
    });
    assert.equal(plain.code, 0, plain.stderr);
    console.log(
      `# save with a ${(size / 2 ** 20).toFixed(0)} MiB --tool-file: ${withTool.ms} ms, peak RSS ${(withTool.peakKiB / MiB).toFixed(0)} MiB; without: ${plain.ms} ms, ${(plain.peakKiB / MiB).toFixed(0)} MiB`,
    );
    // the file is never held whole: the peak stays well under its size above a plain save's
    assert.ok(
      withTool.peakKiB - plain.peakKiB < size / 1024 / 2,
      `peak RSS ${withTool.peakKiB} KiB vs ${plain.peakKiB} KiB without the tool`,
    );
    const tool = (JSON.parse(withTool.stdout) as SaveOut).tool as ToolData;
    assert.deepEqual(
      { kind: tool.kind, ref: tool.ref, platform: tool.platform },
      { kind: 'named file', ref: 'scrydon.tool:9.9.9-linux-x64', platform: 'linux-x64' },
    );
    const far = await tempDir();
    const r = sh(tool.extract, far);
    assert.equal(r.code, 0, r.stderr);
    const v = spawnSync(join(far, 'scrydon-9.9.9-linux-x64'), ['--version'], { encoding: 'utf8' });
    assert.equal(v.stdout.trim(), process.version, 'the extracted executable runs');
  });

  test('a file whose name does not say what it is, or --key without --with-tool: usage error, no archive, store untouched', async () => {
    const odd = join(work, 'mytool');
    await writeFile(odd, '#!/bin/sh\n');
    const indexBefore = await readFile(join(a, 'catalog', 'index.json'), 'utf8');
    const out = join(work, 'refused.tar');
    expectError(await scrydon(['save', 'acme.core:1.0.0', '--tool-file', odd, '-o', out], { home: a }), 'usage', 2);
    expectError(
      await scrydon(['save', 'acme.core:1.0.0', '--key', join(work, 'cosign.key'), '-o', out], { home: a, env: ENV }),
      'usage',
      2,
    );
    expectError(
      await scrydon(['save', 'acme.core:1.0.0', '--tool-file', join(work, 'scrydon-1.0.0-linux-x64'), '-o', out], {
        home: a,
      }),
      'not_found',
    );
    assert.ok(!existsSync(out));
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('refused.tar')),
      [],
    );
    assert.equal(await readFile(join(a, 'catalog', 'index.json'), 'utf8'), indexBefore);
  });
});

describe('running as the single executable', () => {
  const exe = join(ROOT, 'dist', 'release', `scrydon-${VERSION}-${process.platform}-${process.arch}`);
  test(
    'carries itself (process.execPath), byte for byte',
    { skip: existsSync(exe) ? false : `${exe} is not built (bash scripts/release)` },
    async () => {
      const home = await tempDir();
      const out = join(work, 'sea.tar');
      const r = spawnSync(exe, ['save', '--with-tool', '-o', out, '--json'], {
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', SCRYDON_HOME: home },
      });
      assert.equal(r.status, 0, r.stderr);
      const tool = (JSON.parse(r.stdout) as SaveOut).tool as ToolData;
      assert.equal(tool.kind, 'single executable');
      assert.equal(tool.digest, sha256(await readFile(exe)));
      const far = await tempDir();
      assert.equal(sh(tool.extract, far).code, 0);
      assert.equal(
        spawnSync(join(far, tool.name), ['--version'], {
          encoding: 'utf8',
          env: { PATH: '/usr/bin:/bin' },
        }).stdout.trim(),
        VERSION,
      );
    },
  );
});
