import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { packEntries, samplePack, storePack } from '../helpers/make-pack.js';

/**
 * `scrydon install` checks pack.json's dependencies by reconcile's rules: each is met by an installed pack
 * (not retired) at a version in its range; a cycle is named; `--no-deps` skips the check. A refusal changes
 * nothing in SCRYDON_HOME.
 */

interface Installed {
  packs: Array<{ id: string; version: string; status: string; dependencies?: Record<string, string> }>;
}

async function storeDepPack(
  home: string,
  id: string,
  version: string,
  dependencies: Record<string, string> = {},
): Promise<void> {
  const { packJson, files } = samplePack({ id, version });
  const pj = Object.keys(dependencies).length ? { ...packJson, dependencies } : packJson;
  await storePack(home, { shape: 'scrydon', packJson: pj, entries: packEntries(pj, files), tag: `${id}:${version}` });
}

async function refused(home: string, args: string[], code: string): Promise<string> {
  const before_ = await treeHash(home);
  const r = expectError(await scrydon(args, { home }), code);
  assert.equal(await treeHash(home), before_, 'SCRYDON_HOME changed');
  return r.stderr;
}

async function installedIds(home: string): Promise<string[]> {
  return (await json<Installed>(['installed'], { home })).packs.map((p) => `${p.id} ${p.version} ${p.status}`);
}

describe('install checks dependencies', () => {
  let home: string;

  before(async () => {
    home = await tempDir();
    await storeDepPack(home, 'acme.core', '1.0.0');
    await storeDepPack(home, 'acme.core', '2.1.0');
    await storeDepPack(home, 'acme.app', '1.0.0', { 'acme.core': '^2.0.0' });
    await storeDepPack(home, 'acme.lonely', '1.0.0', { 'acme.missing': '^1.0.0' });
    await storeDepPack(home, 'acme.x', '1.0.0', { 'acme.y': '*' });
    await storeDepPack(home, 'acme.y', '1.0.0', { 'acme.x': '>=1' });
    await ok(['install', 'acme.core:1.0.0'], { home });
  });
  after(cleanupTemps);

  test('a range the installed version is outside of: dependency_unsatisfied naming the dependency, the range and what is installed', async () => {
    const err = await refused(home, ['install', 'acme.app:1.0.0'], 'dependency_unsatisfied');
    assert.match(
      err,
      /error\[dependency_unsatisfied\]: acme\.app 1\.0\.0 needs acme\.core \^2\.0\.0, but acme\.core 1\.0\.0 is installed\n/,
    );
    assert.match(err, /hint: install acme\.core:2\.1\.0 first \(it is in the store\), or pass --no-deps/);
    assert.deepEqual(await installedIds(home), ['acme.core 1.0.0 active']);
  });

  test('a dependency installed nowhere and stored nowhere', async () => {
    const err = await refused(home, ['install', 'acme.lonely:1.0.0'], 'dependency_unsatisfied');
    assert.match(err, /acme\.lonely 1\.0\.0 needs acme\.missing \^1\.0\.0, but acme\.missing is not installed/);
    assert.match(err, /hint: pull or build acme\.missing \^1\.0\.0, and install it first, or pass --no-deps/);
  });

  test('packs that need each other: dependency_cycle naming the cycle, through the store and through what is installed', async () => {
    const err = await refused(home, ['install', 'acme.x:1.0.0'], 'dependency_cycle');
    assert.match(
      err,
      /error\[dependency_cycle\]: acme\.x 1\.0\.0 is on a dependency cycle: acme\.x 1\.0\.0 → acme\.y 1\.0\.0 → acme\.x 1\.0\.0/,
    );
    // one side forced in with --no-deps: installing the other closes the cycle, and is refused too
    const h = await tempDir();
    await storeDepPack(h, 'acme.x', '1.0.0', { 'acme.y': '*' });
    await storeDepPack(h, 'acme.y', '1.0.0', { 'acme.x': '>=1' });
    await ok(['install', 'acme.y:1.0.0', '--no-deps'], { home: h });
    const closing = await refused(h, ['install', 'acme.x:1.0.0'], 'dependency_cycle');
    assert.match(closing, /acme\.x 1\.0\.0 → acme\.y 1\.0\.0 → acme\.x 1\.0\.0/);
  });

  test('met: installs, and the record keeps the dependencies', async () => {
    await ok(['install', 'acme.core:2.1.0'], { home });
    await ok(['install', 'acme.app:1.0.0'], { home });
    const { packs } = await json<Installed>(['installed'], { home });
    assert.deepEqual(packs.find((p) => p.id === 'acme.app')?.dependencies, { 'acme.core': '^2.0.0' });
    assert.deepEqual(await installedIds(home), ['acme.app 1.0.0 active', 'acme.core 2.1.0 active']);
  });

  test('a retired dependency meets nothing, and the message says it is retired', async () => {
    const h = await tempDir();
    await storeDepPack(h, 'acme.core', '2.1.0');
    await storeDepPack(h, 'acme.app', '1.0.0', { 'acme.core': '^2.0.0' });
    await ok(['install', 'acme.core:2.1.0'], { home: h });
    await ok(['retire', 'acme.core'], { home: h });
    const err = await refused(h, ['install', 'acme.app:1.0.0'], 'dependency_unsatisfied');
    assert.match(
      err,
      /acme\.app 1\.0\.0 needs acme\.core \^2\.0\.0, but acme\.core 2\.1\.0 was installed by hand and is retired/,
    );
  });

  test('--no-deps installs without the check', async () => {
    const h = await tempDir();
    await storeDepPack(h, 'acme.app', '1.0.0', { 'acme.core': '^2.0.0' });
    await storeDepPack(h, 'acme.x', '1.0.0', { 'acme.y': '*' });
    await ok(['install', 'acme.app:1.0.0', '--no-deps'], { home: h });
    await ok(['install', 'acme.x:1.0.0', '--no-deps'], { home: h });
    assert.deepEqual(await installedIds(h), ['acme.app 1.0.0 active', 'acme.x 1.0.0 active']);
  });
});
