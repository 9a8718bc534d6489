import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeStaleStaging } from '../../src/store/staging.js';
import { LayoutPaths } from '../../src/store/layout.js';
import { BIN, cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { seedPack, seedReferrer, type Seeded } from '../helpers/seed-store.js';

interface IndexJson {
  manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
}

async function indexOf(home: string): Promise<IndexJson> {
  return JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as IndexJson;
}

function tagsOf(idx: IndexJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of idx.manifests) {
    const ref = m.annotations?.['org.opencontainers.image.ref.name'];
    if (ref) out[ref] = m.digest;
  }
  return out;
}

function referrerEntries(idx: IndexJson): Array<[string, string]> {
  return idx.manifests
    .filter((m) => m.annotations?.['io.scrydon.subject'])
    .map((m) => [m.digest, m.annotations?.['io.scrydon.subject'] as string] as [string, string])
    .sort();
}

async function blobNames(home: string): Promise<string[]> {
  return (await readdir(join(home, 'catalog', 'blobs', 'sha256'))).sort();
}

describe('save and load', () => {
  let src: string;
  let work: string;
  let v1: Seeded;
  let v2: Seeded;
  let sig: string;

  before(async () => {
    src = await tempDir();
    work = await tempDir();
    v1 = await seedPack(join(src, 'catalog'), 'acme.fraud:1.0.0', join(work, 'seed'), { layers: [300_000, 5000] });
    v2 = await seedPack(join(src, 'catalog'), 'acme.other:2.0.0', join(work, 'seed'), { layers: [1000] });
    sig = (await seedReferrer(join(src, 'catalog'), v1.manifest)).digest;
    await ok(['tag', 'acme.fraud:1.0.0', 'acme.fraud:stable'], { home: src });
  });
  after(cleanupTemps);

  it('round trip keeps tags, digests and referrers (signatures)', async () => {
    const file = join(work, 'one.tar');
    const saved = await json<{ refs: Array<{ ref: string; digest: string }>; blobs: number; referrers: number }>(
      ['save', 'acme.fraud:1.0.0', 'acme.fraud:stable', '-o', file],
      { home: src },
    );
    assert.deepEqual(
      saved.refs.map((r) => r.ref),
      ['acme.fraud:1.0.0', 'acme.fraud:stable'],
    );
    assert.equal(saved.referrers, 1);
    assert.equal(saved.blobs, 4 + 3); // config, 2 layers, manifest + signature manifest, empty config, signature blob
    const dst = await tempDir();
    const loaded = await json<{ refs: Array<{ ref: string; digest: string }> }>(['load', '-i', file], { home: dst });
    assert.deepEqual(loaded.refs.map((r) => r.ref).sort(), ['acme.fraud:1.0.0', 'acme.fraud:stable']);
    const idx = await indexOf(dst);
    assert.deepEqual(tagsOf(idx), { 'acme.fraud:1.0.0': v1.manifest.digest, 'acme.fraud:stable': v1.manifest.digest });
    assert.deepEqual(referrerEntries(idx), [[sig, v1.manifest.digest]]);
    for (const d of [v1.manifest, v1.config, ...v1.layers])
      assert.ok((await blobNames(dst)).includes(d.digest.slice(7)));
    assert.ok(!(await blobNames(dst)).includes(v2.manifest.digest.slice(7)), 'an unrequested pack was saved');
    assert.deepEqual(await readdir(join(dst, 'catalog', 'ingest')), []);
    // loading again changes nothing but is fine
    const before = await treeHash(join(dst, 'catalog'));
    await ok(['load', '-i', file], { home: dst });
    assert.equal(await treeHash(join(dst, 'catalog')), before);
  });

  it('--all saves every tag; text output names refs, blobs and bytes', async () => {
    const file = join(work, 'all.tar');
    const r = await ok(['save', '--all', '-o', file], { home: src });
    assert.match(r.stdout, /saved acme\.other:2\.0\.0/);
    assert.match(r.stdout, /\d+ blob\(s\), [\d.]+ KiB written/);
    const dst = await tempDir();
    const l = await ok(['load', '-i', file], { home: dst });
    assert.match(l.stdout, /loaded acme\.fraud:stable/);
    assert.deepEqual(Object.keys(tagsOf(await indexOf(dst))).sort(), [
      'acme.fraud:1.0.0',
      'acme.fraud:stable',
      'acme.other:2.0.0',
    ]);
  });

  it('-o - streams to stdout and load reads stdin', async () => {
    const dst = await tempDir();
    const code = await new Promise<number>((resolve, reject) => {
      const env = { ...process.env, NO_COLOR: '1' };
      const save = spawn(process.execPath, [BIN, 'save', 'acme.other:2.0.0', '-o', '-'], {
        env: { ...env, SCRYDON_HOME: src },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const load = spawn(process.execPath, [BIN, 'load'], {
        env: { ...env, SCRYDON_HOME: dst },
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      save.stdout.pipe(load.stdin);
      save.on('error', reject);
      load.on('error', reject);
      load.on('close', (c) => resolve(c ?? -1));
    });
    assert.equal(code, 0);
    assert.deepEqual(tagsOf(await indexOf(dst)), { 'acme.other:2.0.0': v2.manifest.digest });
    assert.deepEqual(await readdir(join(dst, 'tmp')), [], 'the stdin spool file was left behind');
  });

  it('a failed save leaves no file, and usage errors are exit 2', async () => {
    const file = join(work, 'nothing.tar');
    expectError(await scrydon(['save', 'acme.missing:1.0.0', '-o', file], { home: src }), 'not_found');
    await assert.rejects(stat(file));
    assert.deepEqual(
      (await readdir(work)).filter((n) => n.startsWith('nothing.tar')),
      [],
    );
    expectError(await scrydon(['save', '-o', file], { home: src }), 'usage', 2);
    expectError(await scrydon(['save', 'acme.other:2.0.0', '-o', '-', '--json'], { home: src }), 'usage', 2);
  });

  it('saving a pack carries the stored packs it depends on; --no-dependencies leaves them out; a missing one fails', async () => {
    const home = await tempDir();
    for (const p of ['acme-core', 'acme-fraud']) await ok(['build', join(FIXTURES, 'packs', p)], { home });
    const tags = (await json<Array<{ ref: string; id: string | null }>>(['ls'], { home })).map((t) => t.ref);
    const fraud = tags.find((t) => t.startsWith('acme.fraud:')) as string;
    const core = tags.find((t) => t.startsWith('acme.core:')) as string;
    const file = join(work, 'deps.tar');
    const saved = await scrydon(['save', fraud, '-o', file], { home });
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stderr, new RegExp(`including dependency ${core.replace(/[.]/g, '\\.')}`));
    const dst = await tempDir();
    await ok(['load', '-i', file], { home: dst });
    assert.deepEqual(Object.keys(tagsOf(await indexOf(dst))).sort(), [core, fraud].sort());

    const bare = join(work, 'nodeps.tar');
    await ok(['save', fraud, '--no-dependencies', '-o', bare], { home });
    const dst2 = await tempDir();
    await ok(['load', '-i', bare], { home: dst2 });
    assert.deepEqual(Object.keys(tagsOf(await indexOf(dst2))), [fraud]);

    // the dependency is not in the store: refused, nothing written
    await ok(['rm', core], { home });
    const missing = join(work, 'missing.tar');
    const before = await treeHash(join(home, 'catalog'));
    const e = expectError(await scrydon(['save', fraud, '-o', missing], { home }), 'not_found');
    assert.match(e.stderr, /acme\.fraud 1\.\d+\.\d+ needs acme\.core \^1\.0\.0/);
    await assert.rejects(stat(missing));
    assert.equal(await treeHash(join(home, 'catalog')), before);
  });

  it('air-gap delta: inventory, --exclude-inventory, a smaller second archive', async () => {
    const home1 = await tempDir();
    const homeB = await tempDir();
    // the sender has pack 3.0.0; the receiver gets it in full
    const base = await seedPack(join(home1, 'catalog'), 'acme.delta:3.0.0', join(work, 'd'), { layers: [400_000] });
    const full = join(work, 'full.tar');
    await ok(['save', 'acme.delta:3.0.0', '-o', full], { home: home1 });
    await ok(['load', '-i', full], { home: homeB });
    // the receiver writes its inventory
    const invFile = join(work, 'inventory.json');
    await ok(['inventory', '-o', invFile], { home: homeB });
    const inv = JSON.parse(await readFile(invFile, 'utf8')) as { schemaVersion: number; digests: string[] };
    assert.equal(inv.schemaVersion, 1);
    assert.deepEqual(
      inv.digests,
      (await blobNames(homeB)).map((h) => `sha256:${h}`),
    );
    const invStdout = await json<{ digests: string[] }>(['inventory'], { home: homeB });
    assert.deepEqual(invStdout.digests, inv.digests);
    // 3.1.0 keeps the big layer and adds a small one: the delta carries only what changed
    const next = await seedPack(join(home1, 'catalog'), 'acme.delta:3.1.0', join(work, 'd'), {
      layerFiles: base.layerFiles,
      layers: [2000],
    });
    const delta = join(work, 'delta.tar');
    const saved = await json<{ excluded: number; blobs: number }>(
      ['save', 'acme.delta:3.1.0', '--exclude-inventory', invFile, '-o', delta],
      { home: home1 },
    );
    assert.ok(saved.excluded >= 1);
    const fullNext = join(work, 'full-next.tar');
    await ok(['save', 'acme.delta:3.1.0', '-o', fullNext], { home: home1 });
    const [ds, fs] = [(await stat(delta)).size, (await stat(fullNext)).size];
    assert.ok(ds < fs - 390_000, `delta ${ds} bytes is not much smaller than the full archive ${fs}`);
    // the receiver that has the inventory's blobs takes it
    await ok(['load', '-i', delta], { home: homeB });
    assert.equal(tagsOf(await indexOf(homeB))['acme.delta:3.1.0'], next.manifest.digest);
    // a store without them refuses it, naming the missing blobs, and does not change
    const empty = await tempDir();
    await ok(['inventory'], { home: empty }); // creates the empty store
    const before = await treeHash(empty);
    const r = expectError(await scrydon(['load', '-i', delta], { home: empty }), 'inventory_missing_blobs');
    assert.ok(r.stderr.includes(base.layers[0]?.digest ?? '-'), r.stderr);
    assert.equal(await treeHash(empty), before);
  });

  it('a bad inventory file is refused', async () => {
    const bad = join(work, 'bad-inventory.json');
    await import('node:fs/promises').then((f) => f.writeFile(bad, '{"schemaVersion":1,"digests":["nope"]}'));
    expectError(
      await scrydon(['save', 'acme.other:2.0.0', '--exclude-inventory', bad, '-o', join(work, 'x.tar')], { home: src }),
      'inventory_invalid',
    );
  });

  it('stale staging dirs of killed loads are removed; fresh or locked ones are kept', async () => {
    const home = await tempDir();
    await ok(['inventory'], { home });
    const paths = new LayoutPaths(join(home, 'catalog'));
    const stale = join(paths.ingest, 'load-99999-deadbeef');
    const fresh = join(paths.ingest, 'load-99999-cafebabe');
    await mkdir(join(stale, 'blobs'), { recursive: true });
    await mkdir(fresh);
    const old = new Date(Date.now() - 60 * 60_000);
    await utimes(stale, old, old);
    const removed = await removeStaleStaging(paths);
    assert.deepEqual(removed, [stale]);
    assert.deepEqual(await readdir(paths.ingest), ['load-99999-cafebabe']);
    // a load runs the same clean-up first
    await utimes(fresh, old, old);
    const file = join(work, 'for-clean.tar');
    await ok(['save', 'acme.other:2.0.0', '-o', file], { home: src });
    await ok(['load', '-i', file], { home });
    assert.deepEqual(await readdir(paths.ingest), []);
  });
});
