import assert from 'node:assert/strict';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LayoutPaths } from '../../src/store/layout.js';
import { cleanupTemps, ok, scrydon, tempDir } from '../helpers/cli.js';
import { assertBlobsValid, assertStoreConsistent, killWhen, startScrydon, storeTags } from '../helpers/kill.js';
import { packRef, seedSmallPacks } from '../helpers/small-pack.js';

/** Files staged so far by a running load (its staging layouts' blobs). */
async function stagedFiles(ingest: string): Promise<number> {
  let n = 0;
  for (const s of (await readdir(ingest)).filter((x) => x.startsWith('load-') && !x.endsWith('.lock')))
    n += (await readdir(join(ingest, s, 'blobs', 'sha256')).catch(() => [])).length;
  return n;
}

// SCALE_PACKS: a smaller store, to try the test quickly
const N = Number(process.env.SCALE_PACKS ?? 2000);

describe(`save --all, load and check of a ${N}-pack store`, () => {
  let src: string;
  let archive: string;
  let refs: string[];

  before(async () => {
    src = await tempDir();
    const work = await tempDir();
    // seeded through the library, as bench scale does (2,000 `scrydon build` runs would take ~10 minutes here)
    await seedSmallPacks(join(src, 'catalog'), join(work, 'seed'), 0, N);
    refs = Array.from({ length: N }, (_, i) => packRef(i)).sort();
    archive = join(work, 'all.tar');
  });
  after(cleanupTemps);

  it('save --all then load into an empty home gives the same ls, and check passes', async () => {
    await ok(['save', '--all', '-o', archive, '-q'], { home: src });
    const dst = await tempDir();
    await ok(['load', '-i', archive, '-q'], { home: dst });
    const lsSrc = (await ok(['ls', '--json'], { home: src })).stdout;
    assert.equal((await ok(['ls', '--json'], { home: dst })).stdout, lsSrc);
    assert.deepEqual(Object.keys(await storeTags(dst)).sort(), refs);
    const check = await ok(['check'], { home: dst });
    assert.match(check.stdout, new RegExp(`${3 * N} blob\\(s\\).*${N} tag\\(s\\): ok`));
  });

  it('a load killed with SIGKILL while it copies leaves a store that passes check, with ls unchanged', async () => {
    const dst = await tempDir();
    await seedSmallPacks(join(dst, 'catalog'), await tempDir(), N, N + 1); // a store with one pack in it already
    const before = await storeTags(dst);
    const lsBefore = (await ok(['ls', '--json'], { home: dst })).stdout;
    const paths = new LayoutPaths(join(dst, 'catalog'));
    const load = startScrydon(['load', '-i', archive], { home: dst });
    await killWhen(load, async () => (await stagedFiles(paths.ingest)) >= N, 'mid-copy');
    await assertBlobsValid(dst);
    await assertStoreConsistent(dst, before);
    assert.equal((await ok(['ls', '--json'], { home: dst })).stdout, lsBefore);
    await ok(['check'], { home: dst });
  });

  it('check finds one damaged blob among them: exit 1, the blob named', async () => {
    const blobs = (await readdir(new LayoutPaths(join(src, 'catalog')).blobsDir)).sort();
    const victim = blobs[Math.floor(blobs.length / 2)] as string;
    const path = join(src, 'catalog', 'blobs', 'sha256', victim);
    await chmod(path, 0o644);
    await writeFile(path, 'damaged');
    const r = await scrydon(['check', '--json'], { home: src });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as { faults: Array<{ kind: string; digest: string }> };
    assert.deepEqual(
      report.faults.filter((f) => f.kind === 'digest_mismatch').map((f) => f.digest),
      [`sha256:${victim}`],
    );
  });
});
