import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ListEntry } from '../../src/pack/list.js';
import type { GcReport } from '../../src/store/gc.js';
import { cleanupTemps, have, json, ok, tempDir } from '../helpers/cli.js';
import { packId, packRef, seedSmallPacks, writeSmallPackDir } from '../helpers/small-pack.js';

after(cleanupTemps);

/** The derived files: gc's child lists by manifest digest, and ls's rows keyed by index.json's sha256. */
const NODE_CACHE = 'scrydon-node-cache.json';
const LS_VIEW = 'scrydon-ls-cache.json';
const CACHES = [NODE_CACHE, LS_VIEW];

/** The sha256 (hex) of index.json the ls view says it was made from. */
async function viewKey(catalog: string): Promise<string | null> {
  const text = await readFile(join(catalog, LS_VIEW), 'utf8');
  return (JSON.parse(text.slice(65)) as { index: string | null }).index;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** What `ls` must say of each tag, recomputed from the layout's files: manifest plus its direct children. */
async function recompute(catalog: string): Promise<Map<string, { digest: string; size: number; id: string | null }>> {
  const idx = JSON.parse(await readFile(join(catalog, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; size: number; annotations?: Record<string, string> }>;
  };
  const out = new Map<string, { digest: string; size: number; id: string | null }>();
  for (const m of idx.manifests) {
    const ref = m.annotations?.['org.opencontainers.image.ref.name'];
    if (ref === undefined) continue;
    const manifest = JSON.parse(await readFile(join(catalog, 'blobs', 'sha256', m.digest.slice(7)), 'utf8')) as {
      config: { size: number };
      layers: Array<{ size: number }>;
      annotations?: Record<string, string>;
    };
    const size = m.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    out.set(ref, { digest: m.digest, size, id: manifest.annotations?.['io.scrydon.pack.id'] ?? null });
  }
  return out;
}

describe('a store of 2,000 packs', () => {
  test('ls (count, ids, versions, sizes, created) and gc give the right answers, with and without the node cache', async () => {
    const home = await tempDir();
    const catalog = join(home, 'catalog');
    const N = 2000;
    await seedSmallPacks(catalog, join(home, 'work'), 0, N);
    const o = { home };
    const expected = await recompute(catalog);
    const check = (entries: ListEntry[], removed: ReadonlySet<number>) => {
      assert.equal(entries.length, N - removed.size);
      for (let i = 0, k = 0; i < N; i++) {
        if (removed.has(i)) continue;
        const e = entries[k++] as ListEntry;
        assert.equal(e.ref, packRef(i));
        assert.equal(e.id, packId(i));
        assert.equal(e.version, '1.0.0');
        assert.equal(e.digest, expected.get(e.ref)?.digest);
        assert.equal(e.size, expected.get(e.ref)?.size);
        assert.equal(e.created, new Date((1700000000 + i) * 1000).toISOString().replace('.000Z', 'Z'));
      }
    };
    const cold = await json<ListEntry[]>(['ls'], o); // no cache yet: every manifest is read
    check(cold, new Set());
    assert.deepEqual(await json<ListEntry[]>(['ls'], o), cold); // from the cache
    assert.deepEqual(await json<ListEntry[]>(['ls', '--id', packId(1234)], o), [cold[1234]]);

    const gone = new Set([0, 7, 999, 1999]);
    await ok(['rm', ...[...gone].map(packRef)], o);
    const dry = await json<GcReport>(['gc', '--dry-run', '--grace', '0'], o);
    assert.equal(dry.removed.length, 3 * gone.size); // manifest, config, layer of each
    const report = await json<GcReport>(['gc', '--grace', '0'], o);
    assert.deepEqual(report.removed.map((r) => r.digest).sort(), dry.removed.map((r) => r.digest).sort());
    for (const i of gone) assert.ok(report.removed.some((r) => r.digest === expected.get(packRef(i))?.digest));
    assert.equal(report.reachableBlobs, 3 * (N - gone.size));
    assert.equal((await readdir(join(catalog, 'blobs', 'sha256'))).length, 3 * (N - gone.size));
    check(await json<ListEntry[]>(['ls'], o), gone);
    assert.equal(await viewKey(catalog), sha256(await readFile(join(catalog, 'index.json'))));
    check(await json<ListEntry[]>(['ls'], o), gone); // from the view alone
    for (const f of CACHES) await rm(join(catalog, f));
    check(await json<ListEntry[]>(['ls'], o), gone);
    assert.equal((await json<GcReport>(['gc', '--grace', '0'], o)).removed.length, 0);
    await ok(['check'], o);
  });
});

describe('the node cache is derived: rebuilt, never believed over the store', () => {
  async function smallStore(): Promise<{ home: string; catalog: string; first: ListEntry[] }> {
    const home = await tempDir();
    const catalog = join(home, 'catalog');
    await seedSmallPacks(catalog, join(home, 'work'), 0, 5);
    const first = await json<ListEntry[]>(['ls'], { home });
    assert.equal(first.length, 5);
    for (const f of CACHES) await readFile(join(catalog, f)); // ls wrote them
    return { home, catalog, first };
  }

  for (const gone of [[LS_VIEW], [NODE_CACHE], CACHES])
    test(`deleted (${gone.join(', ')}): ls and gc answer the same and write it again`, async () => {
      const { home, catalog, first } = await smallStore();
      for (const f of gone) await rm(join(catalog, f));
      assert.deepEqual(await json<ListEntry[]>(['ls'], { home }), first);
      assert.deepEqual(await json<GcReport>(['gc', '--grace', '0'], { home }).then((r) => r.removed), []);
      for (const f of CACHES) await readFile(join(catalog, f)); // (ls from its view leaves gc's file to gc)
    });

  test('garbage bytes, or a plausible body whose checksum does not match: ignored and rewritten', async () => {
    const { home, catalog, first } = await smallStore();
    for (const f of CACHES) await writeFile(join(catalog, f), Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a, 0x7b]));
    assert.deepEqual(await json<ListEntry[]>(['ls'], { home }), first);
    assert.deepEqual(await json<GcReport>(['gc', '--grace', '0'], { home }).then((r) => r.removed), []);
    // a lie about a pack's version and a child's digest, without the checksums that go with them
    const view = await readFile(join(catalog, LS_VIEW), 'utf8');
    await writeFile(join(catalog, LS_VIEW), view.replaceAll('"1.0.0"', '"6.6.6"'));
    const nodes = await readFile(join(catalog, NODE_CACHE), 'utf8');
    await writeFile(join(catalog, NODE_CACHE), nodes.replace(/"sha256:[0-9a-f]/g, '"sha256:0'));
    assert.deepEqual(await json<ListEntry[]>(['ls'], { home }), first);
    assert.deepEqual(await json<GcReport>(['gc', '--grace', '0'], { home }).then((r) => r.removed), []);
    await ok(['check'], { home });
  });

  test('the ls view follows index.json: a new tag, an rm, the same index written in another form', async () => {
    const { home, catalog, first } = await smallStore();
    const index = join(catalog, 'index.json');
    assert.equal(await viewKey(catalog), sha256(await readFile(index)));
    await ok(['tag', packRef(3), 'bench.p00003:stable'], { home });
    const tagged = await json<ListEntry[]>(['ls'], { home });
    assert.deepEqual(
      tagged.map((e) => e.ref),
      [...first.map((e) => e.ref), 'bench.p00003:stable'].sort(),
    );
    // both rows of that manifest carry both of its tags; the others are as they were
    const third = first[3];
    assert.ok(third);
    const bothTags = [third.ref, 'bench.p00003:stable'].sort();
    assert.deepEqual(
      tagged.find((e) => e.ref === 'bench.p00003:stable'),
      { ...third, ref: 'bench.p00003:stable', tags: bothTags },
    );
    assert.deepEqual(
      tagged.find((e) => e.ref === third.ref),
      { ...third, tags: bothTags },
    );
    await ok(['rm', 'bench.p00003:stable', packRef(0)], { home });
    assert.deepEqual(await json<ListEntry[]>(['ls'], { home }), first.slice(1));
    // what another tool writes: the same index without indentation (skopeo's form)
    await writeFile(index, JSON.stringify(JSON.parse(await readFile(index, 'utf8'))));
    assert.deepEqual(await json<ListEntry[]>(['ls', '--id', packId(4)], { home }), [first[4]]);
    assert.equal(await viewKey(catalog), sha256(await readFile(index)));
  });

  test(
    'skopeo changes index.json behind its back (a new tag of another pack): ls and gc see it',
    {
      skip: !have('skopeo') && 'skopeo is not installed',
    },
    async () => {
      const { home, catalog, first } = await smallStore();
      const other = await tempDir();
      const dir = join(other, 'pack');
      await writeSmallPackDir(dir, 'other.pack', '2.0.0');
      await ok(['build', dir], { home: other });
      const r = spawnSync(
        'skopeo',
        ['copy', '-q', `oci:${join(other, 'catalog')}:other.pack:2.0.0`, `oci:${catalog}:copied:by-skopeo`],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const after = await json<ListEntry[]>(['ls'], { home });
      assert.deepEqual(
        after.filter((e) => e.ref !== 'copied:by-skopeo'),
        first,
      );
      const copied = after.find((e) => e.ref === 'copied:by-skopeo');
      assert.equal(copied?.id, 'other.pack');
      assert.equal(copied?.version, '2.0.0');
      assert.equal(copied?.size, (await recompute(catalog)).get('copied:by-skopeo')?.size);
      // gc keeps what skopeo tagged, though the cache first met it in this ls
      assert.deepEqual(await json<GcReport>(['gc', '--grace', '0'], { home }).then((g) => g.removed), []);
      await ok(['rm', 'copied:by-skopeo'], { home });
      assert.equal((await json<GcReport>(['gc', '--grace', '0'], { home })).removed.length, 3);
      assert.deepEqual(await json<ListEntry[]>(['ls'], { home }), first);
    },
  );
  test(
    'umoci tags and untags behind its back: ls, inspect and gc see it, and a scrydon tag after it is kept',
    { skip: !have('umoci') && 'umoci is not installed (apt-get install umoci)' },
    async () => {
      const { home, catalog, first } = await smallStore();
      const umoci = (...args: string[]): void => {
        const r = spawnSync('umoci', args, { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      };
      const [a, b] = first as [ListEntry, ListEntry];
      // umoci rewrites index.json in its own form: the bytes scrydon recorded no longer match
      umoci('tag', '--image', `${catalog}:${a.ref}`, 'by-umoci');
      umoci('rm', '--image', `${catalog}:${b.ref}`);
      const after = await json<ListEntry[]>(['ls'], { home });
      assert.deepEqual(
        after.map((e) => e.ref),
        ['by-umoci', ...first.filter((e) => e !== b).map((e) => e.ref)].sort(),
      );
      // one row per tag; each names every tag of its digest
      assert.deepEqual(
        after.find((e) => e.ref === 'by-umoci'),
        { ...a, ref: 'by-umoci', tags: [a.ref, 'by-umoci'].sort() },
      );
      assert.equal(await viewKey(catalog), sha256(await readFile(join(catalog, 'index.json'))));
      assert.equal((await json<{ digest: string }>(['inspect', 'by-umoci'], { home })).digest, a.digest);
      // b's pack is now untagged: gc removes its three blobs and nothing umoci tagged
      assert.equal((await json<GcReport>(['gc', '--grace', '0'], { home })).removed.length, 3);
      await ok(['tag', 'by-umoci', 'again:1'], { home });
      const last = await json<ListEntry[]>(['ls'], { home });
      assert.deepEqual(
        last.find((e) => e.ref === 'again:1'),
        { ...a, ref: 'again:1', tags: [a.ref, 'again:1', 'by-umoci'].sort() },
      );
      assert.equal(last.length, first.length + 1);
    },
  );
});

test('old pin names are renamed by the first command, which marks the store so later ones skip that index read', async () => {
  const home = await tempDir();
  const catalog = join(home, 'catalog');
  await seedSmallPacks(catalog, join(home, 'work'), 0, 1);
  const path = join(catalog, 'index.json');
  const idx = JSON.parse(await readFile(path, 'utf8')) as {
    manifests: Array<{ digest: string; annotations: Record<string, string> }>;
  };
  const m = idx.manifests[0] as { digest: string; annotations: Record<string, string> };
  m.annotations['org.opencontainers.image.ref.name'] = `${packId(0)}:sha256-${m.digest.slice(7)}`;
  await writeFile(path, JSON.stringify(idx));
  await rm(join(catalog, 'scrydon-pins-migrated'), { force: true });
  const listed = await json<ListEntry[]>(['ls'], { home });
  assert.deepEqual(
    listed.map((e) => e.ref),
    [`${packId(0)}@${m.digest}`],
  );
  await readFile(join(catalog, 'scrydon-pins-migrated'));
});
