import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ListEntry } from '../../src/pack/list.js';
import { Store } from '../../src/store/store-target.js';
import {
  BIN,
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  ROOT,
  scrydon,
  spawnScrydon,
  tempDir,
  treeHash,
} from '../helpers/cli.js';
import { seedReferrer } from '../helpers/seed-store.js';

after(cleanupTemps);

/** Runs a program directly (no `node` in front), as a shell would. */
function run(
  file: string,
  args: readonly string[],
  o: { cwd: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: o.cwd }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function homeWithPacks(): Promise<string> {
  const home = await tempDir();
  for (const p of ['acme-core', 'acme-fraud']) await ok(['build', join(FIXTURES, 'packs', p)], { home });
  return home;
}

describe('tag, ls, rm', () => {
  test('tag adds a name for the same digest; ls shows pack id and version; rm untags', async () => {
    const home = await homeWithPacks();
    await ok(['tag', 'acme.fraud:1.2.0', 'acme.fraud:stable'], { home });
    const ls = await json<ListEntry[]>(['ls'], { home });
    const byRef = new Map(ls.map((e) => [e.ref, e]));
    assert.equal(byRef.get('acme.fraud:stable')?.digest, byRef.get('acme.fraud:1.2.0')?.digest);
    assert.equal(byRef.get('acme.fraud:stable')?.id, 'acme.fraud');
    assert.equal(byRef.get('acme.core:1.0.0')?.version, '1.0.0');
    const only = await json<ListEntry[]>(['ls', '--id', 'acme.core'], { home });
    assert.deepEqual(
      only.map((e) => e.ref),
      ['acme.core:1.0.0'],
    );
    await ok(['rm', 'acme.fraud:stable'], { home });
    const after = await json<ListEntry[]>(['ls'], { home });
    assert.ok(!after.some((e) => e.ref === 'acme.fraud:stable'));
  });

  test('ls into a pipe its reader closed (ls | head) stops quietly: exit 0, no stack trace', async () => {
    const home = await homeWithPacks();
    for (const args of [['ls'], ['ls', '--json'], ['inspect', 'acme.core:1.0.0']]) {
      const c = spawnScrydon(args, { home });
      c.stdout?.destroy(); // the reader is gone before the first write
      let stderr = '';
      c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
      assert.equal(stderr, '', `${args.join(' ')}: nothing on stderr`);
      assert.equal(code, 0, args.join(' '));
    }
  });

  test('ls lists refs in code-unit order, whatever the locale (uppercase before lowercase)', async () => {
    const home = await homeWithPacks();
    for (const t of ['b', 'B', 'a']) await ok(['tag', 'acme.fraud:1.2.0', `acme.fraud:${t}`], { home });
    const want = ['acme.core:1.0.0', 'acme.fraud:1.2.0', 'acme.fraud:B', 'acme.fraud:a', 'acme.fraud:b'];
    for (const locale of ['en_US.UTF-8', 'sv_SE.UTF-8', 'C']) {
      const ls = await json<ListEntry[]>(['ls'], { home, env: { LANG: locale, LC_ALL: locale } });
      assert.deepEqual(
        ls.map((e) => e.ref),
        want,
        locale,
      );
    }
  });

  test('rm and tag of unknown refs fail with not_found and change nothing', async () => {
    const home = await homeWithPacks();
    const before = await treeHash(home);
    expectError(await scrydon(['rm', 'acme.nothing:9.9.9'], { home }), 'not_found');
    expectError(await scrydon(['tag', 'acme.nothing:1.0.0', 'x:y'], { home }), 'not_found');
    expectError(await scrydon(['tag', 'acme.core:1.0.0', 'Bad Name!'], { home }), 'invalid_reference');
    assert.equal(await treeHash(home), before);
  });

  test('eight concurrent tag processes lose no tag', async () => {
    const home = await homeWithPacks();
    const targets = Array.from({ length: 8 }, (_, i) => `acme.fraud:concurrent-${i}`);
    const results = await Promise.all(targets.map((t) => scrydon(['tag', 'acme.fraud:1.2.0', t], { home })));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const refs = new Set((await json<ListEntry[]>(['ls'], { home })).map((e) => e.ref));
    for (const t of targets) assert.ok(refs.has(t), `lost ${t}`);
    const idx = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as { manifests: unknown[] };
    assert.equal(idx.manifests.length, 2 + targets.length);
  });
});

describe('gc', () => {
  test('dry run changes nothing; a real run frees untagged blobs; referrers of kept packs stay, orphans go', async () => {
    const home = await homeWithPacks();
    const store = await Store.open(join(home, 'catalog'));
    const fraud = await store.resolve('acme.fraud:1.2.0');
    const core = await store.resolve('acme.core:1.0.0');
    const keptSig = await seedReferrer(join(home, 'catalog'), fraud);
    const orphanSig = await seedReferrer(join(home, 'catalog'), core);
    await ok(['rm', 'acme.core:1.0.0'], { home });

    const before = await treeHash(home);
    const dry = await json<{ removed: Array<{ digest: string }>; freedBytes: number }>(
      ['gc', '--dry-run', '--grace', '0'],
      { home },
    );
    assert.ok(dry.removed.some((r) => r.digest === core.digest));
    assert.ok(dry.freedBytes > 0);
    assert.equal(await treeHash(home), before, 'dry run must not change the store');

    const young = await json<{ removed: unknown[]; keptYoung: number }>(['gc'], { home });
    assert.equal(young.removed.length, 0, 'default grace keeps blobs written moments ago');
    assert.ok(young.keptYoung > 0);

    const real = await json<{ removed: Array<{ digest: string }>; removedEntries: string[] }>(['gc', '--grace', '0'], {
      home,
    });
    const removed = new Set(real.removed.map((r) => r.digest));
    assert.ok(removed.has(core.digest));
    assert.ok(removed.has(orphanSig.digest), 'a signature of an untagged pack is collected');
    assert.ok(!removed.has(keptSig.digest), 'a signature of a tagged pack is kept');
    assert.ok(!removed.has(fraud.digest));
    assert.ok(real.removedEntries.includes(orphanSig.digest));
    assert.deepEqual(
      (await store.referrers(fraud)).map((d) => d.digest),
      [keptSig.digest],
    );
    const check = await scrydon(['check'], { home });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    await ok(['install', 'acme.fraud:1.2.0', '--no-deps'], { home }); // acme.core, a dependency, was just collected
  });

  test('temp files a killed build or load left behind (ingest/, $SCRYDON_HOME/tmp) go once older than the grace window', async () => {
    const home = await homeWithPacks();
    const old = new Date(Date.now() - 3600_000);
    // pid 99999999 is above any pid_max: the process that made these is gone
    const leftovers = [
      join(home, 'catalog', 'ingest', 'abc-99999999-dead'),
      join(home, 'tmp', '.build-99999999-beef.scrydon-pack.tar.gz.tmp'),
    ];
    // an old file of a process that is still running (this test runner) is in use
    const running = join(home, 'tmp', `git-key-${process.pid}-feed`);
    for (const f of [...leftovers, running]) {
      await mkdir(dirname(f), { recursive: true });
      await writeFile(f, 'partial');
      await utimes(f, old, old);
    }
    const fresh = join(home, 'tmp', 'reconcile-99999999-cafe');
    await mkdir(fresh, { recursive: true });
    await writeFile(join(fresh, 'work'), 'in use');
    const r = await json<{ cleanedTemp: number }>(['gc'], { home });
    assert.equal(r.cleanedTemp, 2);
    for (const f of leftovers) await assert.rejects(stat(f));
    assert.equal(await readFile(join(fresh, 'work'), 'utf8'), 'in use', 'a young temp dir is kept');
    assert.equal(await readFile(running, 'utf8'), 'partial', 'a temp file of a live process is kept however old');
  });
});

describe('check', () => {
  test('reports a corrupted blob, a missing blob and a dangling tag, exiting 1', async () => {
    const home = await homeWithPacks();
    const store = await Store.open(join(home, 'catalog'));
    const fraud = await store.resolve('acme.fraud:1.2.0');
    const core = await store.resolve('acme.core:1.0.0');
    const blobPath = store.paths.blob(fraud.digest);
    await chmod(blobPath, 0o644);
    const bytes = await readFile(blobPath);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await writeFile(blobPath, bytes);
    await unlink(store.paths.blob(core.digest));

    const r = await scrydon(['check', '--json'], { home });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      faults: Array<{ kind: string; digest: string; ref?: string }>;
    };
    assert.equal(report.ok, false);
    assert.ok(report.faults.some((f) => f.kind === 'digest_mismatch' && f.digest === fraud.digest));
    assert.ok(report.faults.some((f) => f.kind === 'dangling_tag' && f.ref === 'acme.core:1.0.0'));
    // reading corrupted content fails loudly instead of serving bad bytes
    expectError(await scrydon(['install', 'acme.fraud:1.2.0'], { home }), 'digest_mismatch');
  });

  test('a clean store checks ok', async () => {
    const home = await homeWithPacks();
    const r = await json<{ ok: boolean; blobs: number; tags: number }>(['check'], { home });
    assert.equal(r.ok, true);
    assert.equal(r.tags, 2);
    assert.equal(r.blobs, 6);
  });
});

describe('CLI conventions', () => {
  test('usage errors exit 2 with error[usage]; unknown commands too', async () => {
    expectError(await scrydon(['tag', 'only-one']), 'usage', 2);
    expectError(await scrydon(['frobnicate']), 'usage', 2);
    expectError(await scrydon(['gc', '--grace', 'soon']), 'usage', 2);
  });

  test("--version is scrydon's own, wherever it runs (not the package.json of the working directory)", async () => {
    const elsewhere = await tempDir();
    await writeFile(join(elsewhere, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    const own = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const r = await ok(['--version'], { cwd: elsewhere });
    assert.equal(r.stdout.trim(), own);
  });

  test('the bin runs as a program, as npm links it (shebang, executable), from any directory', async () => {
    const dir = await tempDir();
    const link = join(dir, 'scrydon');
    await symlink(BIN, link);
    const own = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const r = await run(link, ['--version'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), own);
  });

  test('every command has --help with examples', async () => {
    const top = await ok(['--help']);
    const names = [...top.stdout.matchAll(/^\s+scrydon (\w+)/gm)].map((m) => m[1] as string);
    assert.ok(names.length >= 10, top.stdout);
    for (const name of names) {
      const h = await ok([name, '--help']);
      assert.match(h.stdout, /Examples:/, `${name} --help has no examples`);
      if (['pull', 'push', 'copy', 'login'].includes(name))
        assert.match(h.stdout, /HTTPS_PROXY, HTTP_PROXY and NO_PROXY/, `${name} --help names the proxy settings`);
    }
  });

  test('--quiet prints nothing on success; --json prints JSON only on stdout', async () => {
    const home = await tempDir();
    const q = await ok(['build', join(FIXTURES, 'packs', 'acme-core'), '--quiet'], { home });
    assert.equal(q.stdout, '');
    const j = await ok(['ls', '--json'], { home });
    assert.doesNotThrow(() => JSON.parse(j.stdout));
  });
});
