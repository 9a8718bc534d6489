import assert from 'node:assert/strict';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LayoutPaths } from '../../src/store/layout.js';
import { removeStaleStaging } from '../../src/store/staging.js';
import { cleanupTemps, ok, tempDir } from '../helpers/cli.js';
import {
  assertBlobsValid,
  assertStoreConsistent,
  bytesIn,
  killWhen,
  startScrydon,
  storeTags,
} from '../helpers/kill.js';
import { seedPack } from '../helpers/seed-store.js';

/** Bytes written so far into the staging area's temp files (the load is mid-copy once this grows). */
async function stagedBytes(ingest: string): Promise<number> {
  let total = 0;
  for (const s of (await readdir(ingest)).filter((n) => n.startsWith('load-') && !n.endsWith('.lock'))) {
    for (const sub of ['ingest', join('blobs', 'sha256')]) total += await bytesIn(join(ingest, s, sub));
  }
  return total;
}

describe('a load killed with SIGKILL mid-way', () => {
  let src: string;
  let dst: string;
  let archive: string;
  const REF = 'acme.big:1.0.0';

  before(async () => {
    src = await tempDir();
    dst = await tempDir();
    const work = await tempDir();
    await seedPack(join(src, 'catalog'), REF, join(work, 'seed'), { layers: [200 * 1024 * 1024] });
    archive = join(work, 'big.tar');
    await ok(['save', REF, '-o', archive], { home: src });
    await seedPack(join(dst, 'catalog'), 'acme.small:1.0.0', join(work, 'seed2'));
  });
  after(cleanupTemps);

  it('leaves a valid store with no new tag, and a rerun completes', async () => {
    const before = await storeTags(dst);
    const paths = new LayoutPaths(join(dst, 'catalog'));
    const load = startScrydon(['load', '-i', archive], { home: dst });
    await killWhen(load, async () => (await stagedBytes(paths.ingest)) >= 20 * 1024 * 1024, 'mid-copy');

    // valid: index.json parses, no new tag, every visible blob matches its name, the partial blob is not visible
    const visible = await assertBlobsValid(dst);
    await assertStoreConsistent(dst, before);
    assert.ok(
      (await readdir(paths.ingest)).some((n) => n.startsWith('load-')),
      'the killed load left no staging dir (not killed mid-copy?)',
    );

    // a rerun completes
    await ok(['load', '-i', archive], { home: dst });
    assert.ok((await storeTags(dst))[REF]);
    assert.ok((await assertBlobsValid(dst)) > visible);

    // the killed load's staging dir is removed once it is old and its lock is stale
    const old = new Date(Date.now() - 60 * 60_000);
    for (const n of await readdir(paths.ingest)) await utimes(join(paths.ingest, n), old, old);
    const removed = await removeStaleStaging(paths);
    assert.equal(removed.length, 1);
    assert.deepEqual(await readdir(paths.ingest), []);
  });
});
