import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, FIXTURES, ok, scrydon, tempDir, treeHash, type RunOptions } from '../helpers/cli.js';
import { bindReadOnly, mountUnavailable, unmount } from '../helpers/mount.js';
import { assertRefused, CORE, refusalFixtures, type RefusalFixtures } from '../helpers/refusals.js';

/**
 * A SCRYDON_HOME scrydon may not write: read-only (a read-only bind mount over a directory without write bits:
 * root ignores modes, not EROFS), and owned by root while the CLI runs as nobody (EACCES). Every writing
 * command fails at once with io_error naming the errno and a path in SCRYDON_HOME (not lock_timeout after
 * ~40 s of lock retries, not a recursive mkdir's ENOENT), and changes nothing; reading commands still work.
 */

const NOBODY = 65534;
let fx: RefusalFixtures;

before(async () => {
  fx = await refusalFixtures();
});
after(async () => {
  await fx?.registry.stop();
  await cleanupTemps();
});

/** A home with acme.core stored and installed, a source registered, and a signing key beside it. */
async function populatedHome(): Promise<{ home: string; keys: string }> {
  const home = await tempDir();
  const keys = await tempDir();
  await ok(['load', '-i', fx.small], { home });
  await ok(['key', 'generate', '--dir', keys], { env: { COSIGN_PASSWORD: 'pw' } });
  await ok(['install', CORE], { home });
  await ok(['sign', CORE, '--key', join(keys, 'cosign.key')], { home, env: { COSIGN_PASSWORD: 'pw' } });
  await ok(
    ['source', 'add', 'lab', '--type', 'git', '--url', 'file:///nonexistent', '--signature-policy', 'unsigned-allowed'],
    { home },
  );
  return { home, keys };
}

/** Every kind of command that writes SCRYDON_HOME. */
function writers(home: string, keys: string): Array<[string, string[], RunOptions]> {
  const o: RunOptions = { home, env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: home, COSIGN_PASSWORD: 'pw' } };
  return [
    ['tag', ['tag', CORE, 'acme.core:stable'], o],
    ['gc', ['gc', '--grace', '0'], o],
    ['load', ['load', '-i', fx.big], o],
    ['pull', ['pull', `${fx.registry.host}/acme/big:1.0.0`, '--plain-http'], o],
    ['build', ['build', join(FIXTURES, 'packs', 'acme-fraud')], o],
    ['sign', ['sign', CORE, '--key', join(keys, 'cosign.key')], o],
    ['uninstall', ['uninstall', 'acme.core'], o],
    [
      'source add',
      [
        'source',
        'add',
        'other',
        '--type',
        'git',
        '--url',
        'file:///nonexistent',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    ],
    ['reconcile', ['reconcile'], o],
    [
      'login',
      ['login', fx.registry.host, '--username', 'u', '--password-stdin', '--plain-http'],
      { ...o, input: 'pw' },
    ],
    ['save -o into it', ['save', CORE, '-o', join(home, 'out.tar')], o],
  ];
}

async function assertAllRefused(
  home: string,
  keys: string,
  errno: string,
  as: Partial<RunOptions> = {},
): Promise<void> {
  const before = await treeHash(home);
  for (const [what, args, o] of writers(home, keys)) {
    const r = await scrydon(args, { ...o, ...as });
    assert.doesNotThrow(() => assertRefused(r, errno, home), `${what}: ${r.stderr}`);
  }
  assert.equal(await treeHash(home), before);
}

describe('read-only SCRYDON_HOME (a read-only bind mount, and no write bits)', { skip: mountUnavailable() }, () => {
  let home = '';
  let keys = '';
  before(async () => {
    ({ home, keys } = await populatedHome());
    await chmod(home, 0o555);
    bindReadOnly(home);
  });
  after(async () => {
    unmount(home);
    await chmod(home, 0o755);
  });

  test('every writing command fails with io_error EROFS naming a path in SCRYDON_HOME, and nothing changes', async () => {
    await assertAllRefused(home, keys, 'EROFS');
  });

  test('reading commands still work: ls, inspect, check, installed, source ls, verify (unrecorded), save and inventory elsewhere', async () => {
    const out = await tempDir();
    for (const args of [
      ['ls'],
      ['inspect', CORE],
      ['check'],
      ['installed'],
      ['source', 'ls'],
      ['save', CORE, '-o', join(out, 'a.tar')],
      ['inventory', '-o', join(out, 'inv.json')],
    ]) {
      await ok(args, { home });
    }
    const v = await ok(['verify', CORE, '--key', join(keys, 'cosign.pub')], { home });
    assert.match(v.stderr, /warning: the verification was not recorded: cannot \w+ .*\(EROFS\)/);
  });
});

describe(
  'SCRYDON_HOME another user owns (run as nobody: EACCES)',
  { skip: process.getuid?.() !== 0 && 'needs root to run the CLI as another user' },
  () => {
    test('every writing command fails with io_error EACCES naming a path in SCRYDON_HOME, and nothing changes', async () => {
      const { home, keys } = await populatedHome();
      // readable by everyone (as a shared install would be), writable by root only
      for (const d of [
        home,
        keys,
        join(home, 'catalog'),
        join(home, 'catalog', 'blobs'),
        join(home, 'catalog', 'blobs', 'sha256'),
        join(home, 'catalog', 'ingest'),
      ])
        await chmod(d, 0o755);
      await chmod(join(keys, 'cosign.key'), 0o644);
      await assertAllRefused(home, keys, 'EACCES', { uid: NOBODY });
    });
  },
);
