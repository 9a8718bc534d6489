import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupTemps, expectError, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { assertStoreConsistent, killWhen, startScrydon, storeTags } from '../helpers/kill.js';
import { seedPack, seedReferrer } from '../helpers/seed-store.js';
import { packRef, seedSmallPacks, writeSmallPackDir } from '../helpers/small-pack.js';
import { plainDescriptor, type Descriptor } from '../../src/oci/descriptor.js';
import { Annotation } from '../../src/oci/media-types.js';

/**
 * save --all and load of many small packs: the bulk paths (save's own walk of the store; load's staged blobs made
 * durable by one file-system sync once there are 64 or more) write what the plain paths write, and a bad or cut
 * archive, or a kill, leaves the store as it was.
 */
const PACKS = 300;

/** Where the data of `blobs/sha256/<hex>` starts in a tar written by scrydon save (ustar, names in the header). */
/**
 * What an archive holds, order aside (the copy routine writes blobs in the order its transfers finish): a hash of its
 * blobs/ tree, oci-layout, and index.json with its entries sorted.
 */
async function contents(tar: string): Promise<unknown> {
  const dir = await tempDir();
  const r = spawnSync('tar', ['xf', tar, '-C', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: unknown[] };
  return {
    blobs: await treeHash(join(dir, 'blobs')),
    layout: await readFile(join(dir, 'oci-layout'), 'utf8'),
    index: { ...index, manifests: index.manifests.map((m) => JSON.stringify(m)).sort() },
  };
}

function entryData(tar: Buffer, hex: string): number {
  const name = Buffer.from(`blobs/sha256/${hex}\0`);
  for (let at = 0; at + 512 <= tar.byteLength; at += 512)
    if (tar.subarray(at, at + name.byteLength).equals(name)) return at + 512;
  throw new Error(`no entry for ${hex}`);
}

describe(`save --all and load of ${PACKS} small packs`, () => {
  let src: string;
  let work: string;
  let archive: string;
  /** A store holding one pack of its own before each load. */
  const target = async (): Promise<string> => {
    const home = await tempDir();
    const dir = join(await tempDir(), 'pack');
    await writeSmallPackDir(dir, 'own.pack', '1.0.0');
    await ok(['build', dir], { home });
    return home;
  };

  before(async () => {
    src = await tempDir();
    work = await tempDir();
    const catalog = join(src, 'catalog');
    await seedSmallPacks(catalog, join(work, 'seed'), 0, PACKS);
    // a signature (a referrer), and a signature of that signature, travel too; and a pack with blobs of 300 KB and
    // 5 MB (streamed, not read whole)
    const idx = JSON.parse(await readFile(join(catalog, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const seventh = idx.manifests.find((m) => m.annotations?.[Annotation.refName] === packRef(7)) as Descriptor;
    await seedReferrer(catalog, await seedReferrer(catalog, plainDescriptor(seventh)));
    await seedPack(catalog, 'acme.big:1.0.0', join(work, 'seed-big'), { layers: [300_000, 5 << 20] });
    archive = join(work, 'all.tar');
    await ok(['save', '--all', '-o', archive, '-q'], { home: src });
  });
  after(cleanupTemps);

  it('the bulk save writes what the copy routine writes: every blob, referrers, tags (also with --exclude-inventory)', async () => {
    const plain = join(work, 'plain.tar');
    await ok(['save', '--all', '-o', plain, '-q'], { home: src, env: { SCRYDON_FAST_PATHS: '0' } });
    assert.deepEqual(await contents(archive), await contents(plain));

    // the receiving side holds the first half of the packs (seeded packs are the same bytes each time)
    const half = await tempDir();
    await seedSmallPacks(join(half, 'catalog'), join(work, 'seed-half'), 0, PACKS / 2);
    const inventory = join(work, 'inventory.json');
    await ok(['inventory', '-o', inventory], { home: half });
    const bulkDelta = join(work, 'delta-bulk.tar');
    const plainDelta = join(work, 'delta-plain.tar');
    await ok(['save', '--all', '--exclude-inventory', inventory, '-o', bulkDelta, '-q'], { home: src });
    await ok(['save', '--all', '--exclude-inventory', inventory, '-o', plainDelta, '-q'], {
      home: src,
      env: { SCRYDON_FAST_PATHS: '0' },
    });
    assert.deepEqual(await contents(bulkDelta), await contents(plainDelta));
    // the half it holds is left out: three blobs a pack
    const entries = (tar: string) => spawnSync('tar', ['tf', tar], { encoding: 'utf8' }).stdout.split('\n').length;
    assert.equal(entries(archive) - entries(bulkDelta), (3 * PACKS) / 2);
  });

  it('a damaged blob in the store fails the bulk save with digest_mismatch and leaves no archive', async () => {
    const home = await tempDir();
    await seedSmallPacks(join(home, 'catalog'), join(work, 'seed-bad'), 0, 80);
    const blobs = join(home, 'catalog', 'blobs', 'sha256');
    const victim = (await readdir(blobs)).sort()[40] as string;
    const bytes = await readFile(join(blobs, victim));
    bytes[0] = (bytes[0] as number) ^ 1;
    await writeFile(join(blobs, victim), bytes);
    const out = join(work, 'bad-save.tar');
    expectError(await scrydon(['save', '--all', '-o', out], { home }), 'digest_mismatch');
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('bad-save')),
      [],
    );
  });

  it('loads them all: every tag, and check passes', async () => {
    const home = await target();
    await ok(['load', '-i', archive, '-q'], { home });
    const tags = await storeTags(home);
    assert.equal(Object.keys(tags).length, PACKS + 2);
    assert.deepEqual(
      Object.fromEntries(Object.entries(tags).filter(([t]) => t !== 'own.pack:1.0.0')),
      await storeTags(src),
    );
    await ok(['check'], { home });
  });

  it('a blob late in the archive that does not match its digest: digest_mismatch, the store unchanged', async () => {
    const home = await target();
    const before = await treeHash(home);
    const tar = await readFile(archive);
    // the layer of the last pack saved: hundreds of blobs are staged before the walk reaches it
    const idx = JSON.parse(await readFile(join(src, 'catalog', 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    const last = idx.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === packRef(PACKS - 1));
    const manifest = JSON.parse(
      await readFile(join(src, 'catalog', 'blobs', 'sha256', (last?.digest ?? '').slice(7)), 'utf8'),
    ) as { layers: Array<{ digest: string }> };
    const at = entryData(tar, (manifest.layers[0]?.digest ?? '').slice(7));
    tar[at + 10] = (tar[at + 10] as number) ^ 0xff;
    const bad = join(work, 'mismatch.tar');
    await writeFile(bad, tar);
    expectError(await scrydon(['load', '-i', bad], { home }), 'digest_mismatch');
    assert.equal(await treeHash(home), before, 'the store changed');
  });

  it('an archive cut short: archive_truncated, the store unchanged', async () => {
    const home = await target();
    const before = await treeHash(home);
    const tar = await readFile(archive);
    const cut = join(work, 'cut.tar');
    await writeFile(cut, tar.subarray(0, Math.floor(tar.byteLength * 0.6)));
    expectError(await scrydon(['load', '-i', cut], { home }), 'archive_truncated');
    assert.equal(await treeHash(home), before, 'the store changed');
  });

  it('killed with SIGKILL while it stages the blobs (not yet synced): the store as it was and sound; a rerun completes', async () => {
    const home = await target();
    const tagsBefore = await storeTags(home);
    const ingest = join(home, 'catalog', 'ingest');
    const staged = async (): Promise<number> => {
      let n = 0;
      for (const s of (await readdir(ingest)).filter((x) => x.startsWith('load-') && !x.endsWith('.lock')))
        n += (await readdir(join(ingest, s, 'blobs', 'sha256')).catch(() => [])).length;
      return n;
    };
    const load = startScrydon(['load', '-i', archive, '-q'], { home });
    await killWhen(load, async () => (await staged()) >= 100, 'while staging');
    await assertStoreConsistent(home, tagsBefore);
    await ok(['load', '-i', archive, '-q'], { home });
    assert.equal(Object.keys(await storeTags(home)).length, PACKS + 2);
    await ok(['check'], { home });
  });
});

describe('a big blob (streamed and hashed as it is read, not read whole)', () => {
  it('damaged in the archive: digest_mismatch, the store unchanged; undamaged: loaded, and check passes', async () => {
    const src = await tempDir();
    const seeded = await seedPack(join(src, 'catalog'), 'acme.big:1.0.0', await tempDir(), { layers: [40 << 20] });
    const archive = join(await tempDir(), 'big.tar');
    await ok(['save', 'acme.big:1.0.0', '-o', archive], { home: src });
    const tar = await readFile(archive);
    const at = entryData(tar, (seeded.layers[0]?.digest ?? '').slice(7));
    const damaged = Buffer.from(tar);
    damaged[at + (30 << 20)] = (damaged[at + (30 << 20)] as number) ^ 0x01; // one bit, deep in the layer
    const bad = join(await tempDir(), 'bad.tar');
    await writeFile(bad, damaged);

    const home = await tempDir();
    const own = join(await tempDir(), 'pack');
    await writeSmallPackDir(own, 'own.pack', '1.0.0');
    await ok(['build', own], { home });
    const before = await treeHash(home);
    const r = expectError(await scrydon(['load', '-i', bad], { home }), 'digest_mismatch');
    assert.ok(r.stderr.includes(seeded.layers[0]?.digest ?? '?'), r.stderr);
    assert.equal(await treeHash(home), before, 'the store changed');

    await ok(['load', '-i', archive], { home });
    assert.match((await ok(['check'], { home })).stdout, /6 blob\(s\), 40\.0 MiB, 2 tag\(s\): ok/);
  });
});
