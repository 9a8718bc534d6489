import assert from 'node:assert/strict';
import { readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { assertStoreConsistent, storeTags } from '../helpers/kill.js';
import { mountTmpfs, mountUnavailable, unmount } from '../helpers/mount.js';
import { assertRefused, CORE, refusalFixtures, type RefusalFixtures } from '../helpers/refusals.js';
import { seedSmallPacks } from '../helpers/small-pack.js';

/**
 * A full disk: SCRYDON_HOME on an 8 MiB tmpfs. A load or pull larger than the disk, and small writes with no
 * byte free, fail with io_error ENOSPC naming the path (or SCRYDON_HOME, for a write to an open blob file),
 * leave the store as it was (tags, blobs, `check`), and whatever they leave is gone after `gc --grace 0`.
 */

let fx: RefusalFixtures | undefined;

/** Bytes in use on the file system holding `dir`. */
async function used(dir: string): Promise<number> {
  const s = await statfs(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

describe('disk full: SCRYDON_HOME on an 8 MiB tmpfs', { skip: mountUnavailable() }, () => {
  let home = '';
  let baseline = 0;
  let tags: Record<string, string> = {};
  before(async () => {
    fx = await refusalFixtures();
    home = await tempDir();
    mountTmpfs(home, 8);
    await ok(['load', '-i', fx.small], { home });
    // gc writes the store's derived node cache (catalog-spec/store.md): present in the baseline too
    await ok(['gc', '--grace', '0'], { home });
    tags = await storeTags(home);
    baseline = await used(home);
  });
  after(async () => {
    unmount(home);
    await fx?.registry.stop();
    await cleanupTemps();
  });

  test('load of a 20 MiB archive: io_error ENOSPC naming SCRYDON_HOME; the store as it was; gc leaves nothing', async () => {
    assertRefused(await scrydon(['load', '-i', fx?.big ?? ''], { home }), 'ENOSPC', home);
    await assertStoreConsistent(home, tags);
    await ok(['gc', '--grace', '0'], { home });
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), []);
    assert.equal(await used(home), baseline);
  });

  test("load of 1,500 small packs (their files, written by the load's writing thread, fill the disk): io_error ENOSPC; the store as it was", async () => {
    const work = await tempDir();
    await seedSmallPacks(join(work, 'catalog'), join(work, 'seed'), 0, 1500);
    const many = join(work, 'many.tar');
    await ok(['save', '--all', '-o', many], { home: work });
    // 4,500 files of a page each on tmpfs: 18 MiB, more than the 8 MiB disk, though the archive is under 6 MiB
    assertRefused(await scrydon(['load', '-i', many], { home }), 'ENOSPC', home);
    await assertStoreConsistent(home, tags);
    await ok(['gc', '--grace', '0'], { home });
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), []);
    assert.equal(await used(home), baseline);
  });

  test('pull of a 20 MiB blob: io_error ENOSPC; the store as it was; gc leaves nothing', async () => {
    assertRefused(
      await scrydon(['pull', `${fx?.registry.host}/acme/big:1.0.0`, '--plain-http'], { home }),
      'ENOSPC',
      home,
    );
    await assertStoreConsistent(home, tags);
    await ok(['gc', '--grace', '0'], { home });
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), []);
    assert.equal(await used(home), baseline);
  });

  test('with no byte free, tag, install, source add and save fail naming the file and change nothing; once freed they work', async () => {
    const filler = join(home, 'filler');
    await assert.rejects(writeFile(filler, Buffer.alloc(16 << 20)), { code: 'ENOSPC' });
    const catalog = await treeHash(join(home, 'catalog'));

    // tag writes its lease, then index.json: either is named
    assertRefused(await scrydon(['tag', CORE, 'acme.core:stable'], { home }), 'ENOSPC', join(home, 'catalog'));
    assertRefused(await scrydon(['install', CORE], { home }), 'ENOSPC', home);
    const add = [
      'source',
      'add',
      'lab',
      '--type',
      'git',
      '--url',
      'file:///nonexistent',
      '--signature-policy',
      'unsigned-allowed',
    ];
    assertRefused(
      await scrydon(add, { home, env: { SCRYDON_CREDENTIAL_STORE: 'file' } }),
      'ENOSPC',
      join(home, 'sources.yaml'),
    );
    assertRefused(
      await scrydon(['save', CORE, '-o', join(home, 'out.tar')], { home }),
      'ENOSPC',
      join(home, 'out.tar'),
    );

    assert.equal(await treeHash(join(home, 'catalog')), catalog);
    assert.deepEqual(
      (await readdir(home)).filter((n) => !['catalog', 'filler', 'tmp'].includes(n)),
      [],
      'a failed command left files in SCRYDON_HOME',
    );
    await assertStoreConsistent(home, tags);

    await rm(filler);
    await ok(['tag', CORE, 'acme.core:stable'], { home });
    await ok(['install', CORE], { home });
    await ok(['gc', '--grace', '0'], { home });
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), []);
    assert.deepEqual(await readdir(join(home, 'tmp')).catch(() => []), []);
  });
});
