import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_CHROMIUM, shot, withPage } from '../helpers/browser.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { startServe, type RunningServe } from '../helpers/serve.js';
import { packId, packRef, seedSmallPacks } from '../helpers/small-pack.js';

/**
 * The catalog page stays usable at 10,000 packs (issue 20): the store is seeded the way scale.test.ts seeds it,
 * the list asks the server for one page of 50 rows at a time (search and filters run on the server), so the
 * page holds 50 rows whatever the store's size; the search finds one pack among them, the next page is the next
 * 50, and a pack's detail (with who depends on it, read over every stored pack) opens. No timing is asserted.
 * Screenshot: dist/test-artifacts/serve-page/scale-list.png.
 */

const N = Number(process.env.SCALE_N_DEBUG ?? 10_000);

describe('the catalog page over 10,000 packs', { skip: NO_CHROMIUM }, () => {
  let serve: RunningServe;

  before(async () => {
    const home = await tempDir();
    await seedSmallPacks(join(home, 'catalog'), join(home, 'work'), 0, N, { durable: false });
    serve = await startServe(home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  test('one page of 50 rows, a search that finds one pack, the next page, a detail', async () => {
    await withPage(serve.url, '', { ready: '#artifacts-list tr.artifact-row' }, async (page) => {
      assert.equal(await page.$$eval('#artifacts-list tr.artifact-row', (r) => r.length), 50);
      assert.equal(await page.textContent('#list-status'), `showing 1–50 of ${N}`);
      assert.equal(await page.textContent('#page-info'), `page 1 of ${N / 50}`);
      await shot(page, 'scale-list');
      await page.click('#next');
      await page.locator('#list-status', { hasText: 'showing 51–100' }).waitFor();
      assert.equal(await page.getAttribute('#artifacts-list tr.artifact-row', 'data-pull'), packRef(50));
      assert.equal(await page.$$eval('#artifacts-list tr.artifact-row', (r) => r.length), 50);
      const one = N - 124;
      await page.fill('#f-q', packId(one).slice('bench.'.length));
      await page.locator('#list-status', { hasText: /^showing 1–1 of 1$/ }).waitFor();
      assert.deepEqual(
        await page.$$eval('#artifacts-list tr.artifact-row', (r) => r.map((tr) => tr.getAttribute('data-pull'))),
        [packRef(one)],
      );
      await page.click('#artifacts-list tr.artifact-row');
      await page.waitForSelector('#pull-as');
      assert.equal(await page.textContent('#pull-as'), packRef(one));
      // who depends on it is read over every stored pack's pack.json: it fills in after the rest of the detail
      await page.waitForSelector('#depended-on-by', { timeout: 180_000 });
      assert.equal(await page.textContent('#depended-on-by'), 'none');
    });
  });
});
