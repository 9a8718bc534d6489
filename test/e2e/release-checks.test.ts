import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanupTemps, ROOT, scrydon, tempDir } from '../helpers/cli.js';

/**
 * The two refusals of issue 16 that need no release build: an unsupported Node (faked with the test-only
 * SCRYDON_TEST_NODE_VERSION, read by the bin entry cmd/entry.ts) and `npm pack` of an unbuilt tree.
 */

after(cleanupTemps);

const engines = async (): Promise<string> =>
  (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

test('an unsupported Node: one error[unsupported_runtime] line naming both versions, a hint, exit 1, nothing else', async () => {
  const required = (await engines()).replace(/^>=\s*/, '');
  assert.match(required, /^\d+\.\d+$/, 'engines.node is >=MAJOR.MINOR');
  for (const found of ['18.20.4', `${required.split('.')[0]}.${Number(required.split('.')[1]) - 1}.9`, 'v16.0.0']) {
    for (const args of [['--help'], ['ls'], ['no-such-command', '--bogus']]) {
      const r = await scrydon(args, { home: await tempDir(), env: { SCRYDON_TEST_NODE_VERSION: found } });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n');
      assert.equal(lines.length, 3, r.stderr); // the error line, its hint, the final newline
      assert.equal(
        lines[0],
        `error[unsupported_runtime]: scrydon needs Node ${required}.0 or newer; this is Node ${found} (${process.execPath})`,
      );
      assert.match(lines[1] ?? '', /^hint: install Node \d+\.\d+\.\d+ or newer .* single executable/);
      assert.equal(lines[2], '');
    }
  }
});

test('a supported Node runs: the required version itself and newer ones', async () => {
  const required = (await engines()).replace(/^>=\s*/, '');
  for (const found of [
    `${required}.0`,
    `${required.split('.')[0]}.${Number(required.split('.')[1]) + 1}.0`,
    '22.0.0',
    '24.3.1',
  ]) {
    const r = await scrydon(['--version'], { env: { SCRYDON_TEST_NODE_VERSION: found } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
  }
});

test('npm pack of an unbuilt tree is refused with one error line, and no package is made', async () => {
  const clone = await tempDir();
  for (const path of ['package.json', 'scripts/prepack.mjs', 'README.md', 'catalog-spec', 'fixtures/packs'])
    await cp(join(ROOT, path), join(clone, path), { recursive: true });
  const out = join(clone, 'out');
  await mkdir(out);
  const r = spawnSync('npm', ['pack', '--pack-destination', out], {
    cwd: clone,
    encoding: 'utf8',
    env: {
      ...process.env,
      npm_config_offline: 'true',
      npm_config_loglevel: 'silent',
      npm_config_cache: join(clone, 'cache'),
    },
  });
  assert.notEqual(r.status, 0, r.stdout + r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.deepEqual(errors, [
    'error: refusing to pack an unbuilt tree (dist/bin/scrydon.js, dist/src/index.js missing): run `npm run build` first, or `bash scripts/release` for the offline-installable package',
  ]);
  assert.deepEqual(await readdir(out), []);
  // the built tree passes the same check
  assert.equal(spawnSync(process.execPath, [join(ROOT, 'scripts', 'prepack.mjs')], { cwd: ROOT }).status, 0);
});
