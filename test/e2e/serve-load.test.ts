import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, ok, tempDir } from '../helpers/cli.js';
import { seedPack, type Seeded } from '../helpers/seed-store.js';
import { packsOfStore, runLoad } from '../helpers/serve-load.js';
import { http, startServe, type RunningServe } from '../helpers/serve.js';
import { seedSmallPacks } from '../helpers/small-pack.js';

/**
 * `scrydon serve` under 200 concurrent keep-alive clients (issue 18), each looping GET manifest by tag, GET by
 * digest, HEAD and GET of every blob of a random pack (test/helpers/serve-load.ts checks status, digest header,
 * length and the sha256 of every body); then what the server keeps in memory (manifests, small blobs) stops being
 * served once gc deletes it, and a damaged small blob is refused rather than sent. Not timed.
 */

const CLIENTS = 200;
const ROUNDS = 4;

describe('scrydon serve: 200 concurrent clients', () => {
  let home: string;
  let catalog: string;
  let serve: RunningServe;
  let damaged: Seeded;

  before(async () => {
    home = await tempDir();
    catalog = join(home, 'catalog');
    await seedSmallPacks(catalog, join(home, 'work'), 0, 100);
    // a blob streamed from its file (over the 64 KiB kept in memory) and one just over that line
    await seedPack(catalog, 'big.pack:1.0.0', join(home, 'work'), { layers: [3 << 20, (64 << 10) + 1] });
    damaged = await seedPack(catalog, 'damaged.pack:1.0.0', join(home, 'work'), { layers: [4096] });
    serve = await startServe(home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  test('every answer is right (status, Docker-Content-Digest, length, body digest), no errors, the server stays up', async () => {
    const packs = (await packsOfStore(catalog, (n) => n)).filter((p) => p.repository !== 'damaged.pack');
    assert.equal(packs.length, 101);
    const r = await runLoad({ url: serve.url, packs, clients: CLIENTS, roundsPerClient: ROUNDS });
    assert.deepEqual(r.failures, []);
    assert.deepEqual({ errors: r.errors, non2xx: r.non2xx, wrong: r.wrong }, { errors: 0, non2xx: 0, wrong: 0 });
    assert.ok(r.requests >= CLIENTS * ROUNDS * 6, `${r.requests} requests`);
    assert.equal(serve.process.exitCode, null, 'still running');
    assert.equal((await http(`${serve.url}/v2/`)).status, 200);
  });

  test('a manifest and a small blob answered from memory stop being served once rm and gc delete them', async () => {
    const gone = (await packsOfStore(catalog, (n) => n)).find((p) => p.repository === 'bench.p00000');
    assert.ok(gone);
    const layer = gone.blobs[1];
    assert.ok(layer);
    // through another repository: content is one store, served under every repository it has
    const manifestUrl = `${serve.url}/v2/bench.p00001/manifests/${gone.manifest.digest}`;
    const blobUrl = `${serve.url}/v2/bench.p00001/blobs/${layer.digest}`;
    assert.equal((await http(manifestUrl)).status, 200);
    assert.equal((await http(blobUrl)).status, 200);
    await ok(['rm', 'bench.p00000:1.0.0'], { home });
    await ok(['gc', '--grace', '0'], { home });
    const code = (b: Buffer): string =>
      (JSON.parse(b.toString('utf8')) as { errors: Array<{ code: string }> }).errors[0]?.code ?? '';
    const m = await http(manifestUrl);
    assert.deepEqual([m.status, code(m.body)], [404, 'MANIFEST_UNKNOWN']);
    const b = await http(blobUrl);
    assert.deepEqual([b.status, code(b.body)], [404, 'BLOB_UNKNOWN']);
    assert.equal((await http(blobUrl, { method: 'HEAD' })).status, 404);
    assert.equal((await http(`${serve.url}/v2/bench.p00000/manifests/1.0.0`)).status, 404);
  });

  test('a damaged small blob is refused with 500 UNKNOWN (never sent as if whole); the store is left as it was', async () => {
    const layer = damaged.layers[0];
    assert.ok(layer);
    const file = join(catalog, 'blobs', 'sha256', layer.digest.slice(7));
    const bytes = await readFile(file);
    bytes[0] = (bytes[0] ?? 0) ^ 0xff; // same size, other content
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    await chmod(file, 0o444);
    const index = await readFile(join(catalog, 'index.json'));

    const r = await http(`${serve.url}/v2/damaged.pack/blobs/${layer.digest}`);
    assert.equal(r.status, 500);
    const body = JSON.parse(r.body.toString('utf8')) as { errors: Array<{ code: string; message: string }> };
    assert.equal(body.errors[0]?.code, 'UNKNOWN');
    assert.match(body.errors[0]?.message ?? '', /damaged .*scrydon check/);
    assert.deepEqual(await readFile(file), bytes, 'serve rewrote nothing');
    assert.deepEqual(await readFile(join(catalog, 'index.json')), index);
    assert.equal((await http(`${serve.url}/v2/`)).status, 200, 'still serving');
  });

  test('SIGTERM stops it: exit 0 and its summary', async () => {
    const r = await serve.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped: served \d+ request/);
  });
});
