import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanupTemps, FIXTURES, ok, scrydon, tempDir } from '../helpers/cli.js';
import { makeGitRepo } from '../helpers/git-server.js';

/**
 * A catalog pack whose dependency was installed by hand and then retired: reconcile refuses it (a retired pack
 * meets no dependency) and says so, whether the catalog lists the dependency or not (it used to say the
 * dependency was "neither installed nor in the catalog").
 */

interface Run {
  packs: Array<{ id: string; outcome: string; code?: string; detail?: string }>;
}

function catalog(entries: ReadonlyArray<{ id: string; version: string; path: string }>): string {
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (const e of entries)
    lines.push(
      `  - id: ${e.id}`,
      `    version: ${e.version}`,
      `    artifact: {kind: git-tar, ref: main, path: ${e.path}}`,
      '    signature: {kind: none}',
    );
  return lines.join('\n') + '\n';
}

after(cleanupTemps);

test('a retired dependency installed by hand: the run says it is retired, listed in the catalog or not', async () => {
  const r = await makeGitRepo('retired-dep');
  await r.copy(join(FIXTURES, 'packs', 'acme-core'), 'packs/acme-core');
  await r.copy(join(FIXTURES, 'packs', 'acme-fraud'), 'packs/acme-fraud');
  await r.write('scrydon.yaml', catalog([{ id: 'acme.fraud', version: '1.2.0', path: 'packs/acme-fraud' }]));
  r.commit('fraud only');
  const o = { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], o);
  await ok(['install', 'acme.core:1.0.0'], o);
  await ok(['retire', 'acme.core'], o);
  await ok(['source', 'add', 'acme', '--type', 'git', '--url', r.url, '--signature-policy', 'unsigned-allowed'], o);

  const run = async (): Promise<Run['packs'][number] | undefined> => {
    const res = await scrydon(['reconcile', '--json'], o);
    assert.equal(res.code, 1, res.stderr);
    return (JSON.parse(res.stdout) as Run[])[0]?.packs.find((p) => p.id === 'acme.fraud');
  };
  const truth =
    /acme\.fraud 1\.2\.0 needs acme\.core \^1\.0\.0, but acme\.core 1\.0\.0 was installed by hand and is retired/;
  const alone = await run();
  assert.equal(alone?.code, 'install_failed');
  assert.match(alone?.detail ?? '', truth);
  assert.doesNotMatch(alone?.detail ?? '', /neither installed nor in the catalog/);

  // listed at the version installed by hand: the run leaves acme.core alone, and says the same of it
  await r.write(
    'scrydon.yaml',
    catalog([
      { id: 'acme.core', version: '1.0.0', path: 'packs/acme-core' },
      { id: 'acme.fraud', version: '1.2.0', path: 'packs/acme-fraud' },
    ]),
  );
  r.commit('core too');
  const listed = await run();
  assert.equal(listed?.code, 'install_failed');
  assert.match(listed?.detail ?? '', truth);
});
