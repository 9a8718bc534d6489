import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { digestHex } from '../../src/oci/digest.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { StagingTarget } from '../../src/store/staging.js';
import { SmallBlobThread } from '../../src/store/small-blob-thread.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

/** A tagged pack (layer, config, manifest) staged into `staging`; its three descriptors, manifest last. */
async function stagePack(staging: StagingTarget, salt: string): Promise<Descriptor[]> {
  const layer = descriptorOf(MediaType.packLayer, Buffer.from(`layer ${salt}`));
  const configBytes = Buffer.from(JSON.stringify({ salt }));
  const config = descriptorOf(MediaType.packConfig, configBytes);
  const manifestBytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] });
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes);
  await staging.push(layer, Readable.from([Buffer.from(`layer ${salt}`)]));
  await staging.push(config, Readable.from([configBytes]));
  await staging.push(manifest, Readable.from([manifestBytes]));
  await staging.tag(manifest, `acme.${salt}:1.0.0`);
  return [layer, config, manifest];
}

async function blobNames(store: Store): Promise<string[]> {
  return (await readdir(store.paths.blobsDir)).sort();
}

describe('staging commit', () => {
  test('into an empty store and into one holding blobs, every staged blob lands and the staging area is gone', async () => {
    const store = await Store.open(await tempDir('scrydon-staging-'));
    const loads: Descriptor[][] = [];
    for (const salt of ['first', 'second']) {
      // the first commit finds the store's blob directory empty, the second finds the first one's blobs there
      const staging = await StagingTarget.create(store);
      loads.push(await stagePack(staging, salt));
      await staging.commit();
      assert.deepEqual(await readdir(store.paths.ingest), [], 'no staging area is left behind');
    }
    const all = loads.flat();
    assert.deepEqual(await blobNames(store), all.map((d) => digestHex(d.digest)).sort());
    for (const d of all) assert.ok(await store.exists(d), `${d.digest} is in the store`);
    for (const salt of ['first', 'second'])
      assert.equal((await store.resolve(`acme.${salt}:1.0.0`)).digest, loads[salt === 'first' ? 0 : 1]?.[2]?.digest);
  });

  /** One pack loaded into a fresh store (its blob directory chmod-ed to `mode` first): the directory before and after. */
  async function firstLoad(mode?: number): Promise<{ before: Stats; after: Stats }> {
    const store = await Store.open(await tempDir('scrydon-staging-'));
    if (mode !== undefined) await chmod(store.paths.blobsDir, mode);
    const before = await stat(store.paths.blobsDir);
    const staging = await StagingTarget.create(store);
    const staged = await stagePack(staging, 'only');
    await staging.commit();
    assert.deepEqual(await blobNames(store), staged.map((d) => digestHex(d.digest)).sort());
    return { before, after: await stat(store.paths.blobsDir) };
  }

  test('a first load into a plain store moves the staged directory whole (one rename)', async () => {
    const { before, after } = await firstLoad();
    assert.notEqual(after.ino, before.ino, "staging's directory took the empty one's place");
    assert.equal(after.mode, before.mode);
  });

  test('a first load into a store whose blob directory a site made group-writable keeps that directory and its mode', async () => {
    const { before, after } = await firstLoad(0o2775);
    assert.equal(after.mode, before.mode, 'the mode the site set');
    assert.equal(after.ino, before.ino, 'the same directory: the blobs were moved into it');
  });

  test('a load of many small blobs: those the thread wrote land whole, read-only, and a staged one reads back before commit', async () => {
    const store = await Store.open(await tempDir('scrydon-staging-'));
    const staging = await StagingTarget.create(store, { writeThread: true });
    // 300 packs: 900 small blobs, most of them handed to the writing thread in several batches
    const packs: Descriptor[][] = [];
    for (let i = 0; i < 300; i++) packs.push(await stagePack(staging, `p${i}`));
    const last = packs[299]?.[2] as Descriptor;
    const readBack = Buffer.concat(await (await staging.fetch(last)).toArray());
    assert.equal(descriptorOf(last.mediaType, readBack).digest, last.digest, 'a staged manifest reads back whole');
    await staging.commit();
    const all = packs.flat();
    assert.deepEqual(await blobNames(store), all.map((d) => digestHex(d.digest)).sort());
    for (const d of all) {
      const path = store.paths.blob(d.digest);
      assert.equal(descriptorOf(d.mediaType, await readFile(path)).digest, d.digest, `${d.digest} is whole`);
      assert.equal((await stat(path)).mode & 0o222, 0, `${d.digest} is read-only`);
    }
    assert.deepEqual(await readdir(store.paths.ingest), [], 'no staging area is left behind');
  });

  test('a load of many small blobs discarded midway leaves the store as it was', async () => {
    const store = await Store.open(await tempDir('scrydon-staging-'));
    const staging = await StagingTarget.create(store, { writeThread: true });
    for (let i = 0; i < 200; i++) await stagePack(staging, `d${i}`);
    await staging.discard();
    assert.deepEqual(await blobNames(store), []);
    assert.deepEqual(await readdir(store.paths.ingest), []);
    assert.deepEqual((await store.index()).manifests, []);
  });
});

describe('the small-blob writing thread', () => {
  test('writes every file whole and read-only, keeps one that exists, and reports the first failure from then on', async () => {
    const dir = await tempDir('scrydon-thread-');
    const files = new SmallBlobThread(dir);
    try {
      const want = new Map<string, Buffer>();
      for (let i = 0; i < 1000; i++) want.set(`f${i}`, Buffer.from(`bytes of file ${i} `.repeat(1 + (i % 50))));
      for (const [name, bytes] of want) await files.write(name, bytes);
      await files.write('f0', Buffer.from('not the first bytes')); // a second write of a name keeps the first
      await files.flush();
      for (const [name, bytes] of want) {
        assert.deepEqual(await readFile(join(dir, name)), bytes, name);
        assert.equal((await stat(join(dir, name))).mode & 0o222, 0);
      }
      await rm(dir, { recursive: true });
      await files.write('gone', Buffer.from('x'));
      await assert.rejects(files.flush(), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'open');
      assert.throws(
        () => files.write('after', Buffer.from('y')),
        (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
      );
    } finally {
      await files.close();
    }
  });

  test('an idle thread does not keep its process alive, a batch in flight or a close() does', async () => {
    const dir = await tempDir('scrydon-thread-');
    const module = new URL('../../src/store/small-blob-thread.js', import.meta.url).href;
    // a batch handed over (flush sends it) and the process left to end: the file is whole, and the process ends
    const script = `import { SmallBlobThread } from ${JSON.stringify(module)};
      const t = new SmallBlobThread(${JSON.stringify(dir)});
      t.write('left', Buffer.alloc(50000, 7));
      await t.flush();
      process.stdout.write('flushed');
      await t.close(); // the idle (unreferenced) thread, stopped: the process waits for it and goes on
      process.stdout.write(' closed');`;
    const file = join(await tempDir('scrydon-thread-script-'), 'left.mjs');
    await writeFile(file, script);
    const r = spawnSync(process.execPath, [file], { timeout: 20_000, encoding: 'utf8' });
    assert.equal(r.signal, null, 'the process was killed by the timeout: the idle thread held it');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'flushed closed');
    assert.deepEqual(await readFile(join(dir, 'left')), Buffer.alloc(50000, 7));

    // closed while batches are still being written (a failed load): the answers that arrive meanwhile are ignored,
    // and the process waits for the thread to stop instead of finding its event loop empty
    const busy = `import { SmallBlobThread } from ${JSON.stringify(module)};
      const t = new SmallBlobThread(${JSON.stringify(dir)});
      for (let i = 0; i < 200; i++) t.write('busy' + i, Buffer.alloc(60000, i));
      t.flush().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1));
      await t.close();
      process.stdout.write('closed');`;
    for (let i = 0; i < 5; i++) {
      await writeFile(file, busy);
      const b = spawnSync(process.execPath, [file], { timeout: 20_000, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
      assert.equal(b.stdout, 'closed', 'the process ended before close() settled');
    }
  });
});
