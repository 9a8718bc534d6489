import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { gc } from '../../src/store/gc.js';
import { Lease, scanLeases } from '../../src/store/lease.js';
import { ownerAlive, processStartTime, selfStartToken } from '../../src/fs/owner.js';
import { Store } from '../../src/store/store-target.js';
import { parentsFirst } from '../../src/store/sweep-order.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

async function put(store: Store, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  const d = descriptorOf(mediaType, bytes);
  await store.push(d, Readable.from([bytes]));
  return d;
}

/** An untagged artifact: a layer and a config under a manifest, nothing referencing any of them. */
async function orphan(
  store: Store,
  salt: string,
): Promise<{ manifest: Descriptor; config: Descriptor; layer: Descriptor }> {
  const layer = await put(store, MediaType.packLayer, Buffer.from(`layer ${salt}`));
  const config = await put(store, MediaType.packConfig, Buffer.from(JSON.stringify({ salt })));
  const manifest = await put(
    store,
    MediaType.ociManifest,
    encodeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] }),
  );
  return { manifest, config, layer };
}

const present = (store: Store, d: Descriptor) =>
  access(store.paths.blob(d.digest)).then(
    () => true,
    () => false,
  );

/** A pid that was just in use and no longer is. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid as number;
}

describe('owner liveness: pid and start time', () => {
  test('this process is alive under its own start time, not under another (its pid recycled)', async () => {
    const token = await selfStartToken();
    assert.equal(await ownerAlive(process.pid, token), true);
    if ((await processStartTime(process.pid)) !== undefined)
      assert.equal(await ownerAlive(process.pid, `${Number(token) + 1}`), false);
  });

  test('a process that has exited is not alive', async () => {
    assert.equal(await ownerAlive(await deadPid(), '0'), false);
  });
});

describe('leases', () => {
  test('hold writes what it holds under leases/ (holds that come together, written together); release removes it', async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const lease = new Lease(store.paths);
    const ds = Array.from({ length: 10 }, (_, i) => descriptorOf(MediaType.packLayer, Buffer.from(`blob ${i}`)));
    await Promise.all(ds.map((d) => lease.hold([d])));
    await lease.hold([ds[0] as Descriptor]); // held already: not written again
    const scan = await scanLeases(store.paths, { removeExpired: true });
    assert.equal(scan.live, 1);
    assert.deepEqual(scan.held.map((d) => d.digest).sort(), ds.map((d) => d.digest).sort());
    const [name] = await readdir(store.paths.leases);
    assert.match(name as string, new RegExp(`^${process.pid}-${await selfStartToken()}-[0-9a-f]+$`));
    assert.equal((await readFile(join(store.paths.leases, name as string), 'utf8')).trim().split('\n').length, 10);
    await lease.release();
    assert.deepEqual(await readdir(store.paths.leases), []);
    await assert.rejects(lease.hold([ds[1] as Descriptor]), /already released/);
  });

  test('leases of a dead pid, or of a recycled pid (another start time), expire; a torn line is skipped', async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const d = descriptorOf(MediaType.packLayer, Buffer.from('x'));
    const line = JSON.stringify(d) + '\n';
    await writeFile(join(store.paths.leases, `${await deadPid()}-0-aaaa`), line);
    const recycled = (await processStartTime(process.pid)) !== undefined;
    if (recycled)
      await writeFile(join(store.paths.leases, `${process.pid}-${Number(await selfStartToken()) + 1}-bbbb`), line);
    await writeFile(
      join(store.paths.leases, `${process.pid}-${await selfStartToken()}-cccc`),
      line + '{"mediaType":"x","dig',
    );
    const dry = await scanLeases(store.paths, { removeExpired: false });
    assert.deepEqual(
      { live: dry.live, expired: dry.expired, held: dry.held.length },
      { live: 1, expired: recycled ? 2 : 1, held: 1 },
    );
    assert.equal((await readdir(store.paths.leases)).length, recycled ? 3 : 2);
    await scanLeases(store.paths, { removeExpired: true });
    assert.deepEqual(await readdir(store.paths.leases), [`${process.pid}-${await selfStartToken()}-cccc`]);
  });

  test('gc --grace 0 keeps a leased graph (the manifest held, its children with it) and frees it once released', async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const held = await orphan(store, 'held');
    const loose = await orphan(store, 'loose');
    const lease = new Lease(store.paths);
    await lease.hold([held.manifest]);

    const during = await gc(store, { graceMs: 0 });
    for (const d of Object.values(held))
      assert.ok(await present(store, d), `${d.mediaType} of the leased graph was deleted`);
    for (const d of Object.values(loose)) assert.ok(!(await present(store, d)));
    assert.deepEqual(
      { keptLeased: during.keptLeased, leases: during.leases, removed: during.removed.length },
      { keptLeased: 3, leases: 1, removed: 3 },
    );

    await lease.release();
    const afterRelease = await gc(store, { graceMs: 0 });
    assert.equal(afterRelease.removed.length, 3);
    for (const d of Object.values(held)) assert.ok(!(await present(store, d)));
  });

  test('a blob found present is held before it is relied on; one not there is not held', async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const { layer } = await orphan(store, 'present');
    const absent = descriptorOf(MediaType.packLayer, Buffer.from('absent'));
    const lease = new Lease(store.paths);
    assert.equal(await lease.holdPresent(layer, () => store.exists(layer)), true);
    assert.equal(await lease.holdPresent(absent, () => store.exists(absent)), false);
    assert.deepEqual(
      (await scanLeases(store.paths, { removeExpired: false })).held.map((d) => d.digest),
      [layer.digest],
    );
    await lease.release();
  });
});

test("gc deletes parents before children: an index, then its manifest, then the manifest's blobs", async () => {
  const store = await Store.open(join(await tempDir(), 'catalog'));
  const a = await orphan(store, 'a');
  const index = await put(
    store,
    MediaType.ociIndex,
    encodeJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [a.manifest] }),
  );
  const sizes = (d: Descriptor) => ({ digest: d.digest, size: d.size });
  const order = (await parentsFirst(store, [a.layer, a.config, a.manifest, index].map(sizes))).map((b) => b.digest);
  const at = (d: Descriptor) => order.indexOf(d.digest);
  assert.equal(order.length, 4);
  assert.ok(
    at(index) < at(a.manifest) && at(a.manifest) < at(a.layer) && at(a.manifest) < at(a.config),
    order.join(' '),
  );
});
