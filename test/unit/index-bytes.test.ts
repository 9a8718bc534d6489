import assert from 'node:assert/strict';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { parsedIfCached } from '../../src/fs/parsed-cache.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { Annotation, isGraphNodeType, MediaType } from '../../src/oci/media-types.js';
import { CanonicalIndex } from '../../src/store/index-bytes.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { seedPack, seedReferrer } from '../helpers/seed-store.js';

after(cleanupTemps);

const canonical = (manifests: readonly Descriptor[], annotations?: Record<string, string>): Buffer =>
  Buffer.from(
    JSON.stringify(
      { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests, ...(annotations ? { annotations } : {}) },
      null,
      2,
    ) + '\n',
  );

const hex = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;
const manifest = (i: number, annotations?: Record<string, string>): Descriptor => ({
  mediaType: MediaType.ociManifest,
  digest: hex(i) as Descriptor['digest'],
  size: 100 + i,
  ...(annotations ? { annotations } : {}),
});
const name = (d: Descriptor): string | undefined => d.annotations?.[Annotation.refName];

/** Entries that look like others to a careless byte search. */
function tricky(): Descriptor[] {
  const decoy = `\n        "${Annotation.refName}": "acme.a:1"`;
  return [
    manifest(1, { [Annotation.refName]: 'acme.a:1' }),
    manifest(2, { [Annotation.refName]: 'acme.a:1.0' }), // a name the first is a prefix of
    manifest(3, { [Annotation.refName]: 'acme.a:1', 'x.note': 'a duplicate name' }),
    manifest(4, { [Annotation.subject]: hex(1) }),
    manifest(5, { [Annotation.subject]: hex(1), [Annotation.refName]: 'sig' }),
    manifest(6), // untagged, no subject: another tool's
    { ...manifest(7, { 'x.text': decoy, [Annotation.refName]: 'ünï "quoted" \\ name' }) },
    // an unknown field holding the keys scrydon looks for, outside the annotations
    { ...manifest(8), 'x-extra': { [Annotation.refName]: 'acme.a:1', [Annotation.subject]: hex(1) } } as Descriptor,
    { ...manifest(9, { [Annotation.refName]: 'plat' }), platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: 'application/octet-stream', digest: hex(10) as Descriptor['digest'], size: 1 },
  ];
}

test('CanonicalIndex: look-ups and edits on the bytes equal the parsed index edited and written by JSON.stringify', () => {
  let model = tricky();
  const annotations = { 'org.example': 'index-level' };
  let ix = new CanonicalIndex(canonical(model, annotations));
  const check = (): void => {
    assert.equal(ix.bytes.toString(), canonical(model, annotations).toString());
    for (const n of ['acme.a:1', 'acme.a:1.0', 'sig', 'plat', 'ünï "quoted" \\ name', 'nope', `new-${model.length}`])
      assert.deepEqual(
        ix.tagged(n),
        model.find((m) => name(m) === n),
        n,
      );
    for (let i = 0; i < 14; i++)
      assert.deepEqual(
        ix.withDigest(hex(i)),
        model.find((m) => m.digest === hex(i)),
      );
    assert.deepEqual(
      ix.withSubject(hex(1)),
      model.filter((m) => m.annotations?.[Annotation.subject] === hex(1)),
    );
    const unnamed = model.some(
      (m) =>
        m.annotations?.[Annotation.refName] === undefined &&
        m.annotations?.[Annotation.subject] === undefined &&
        isGraphNodeType(m.mediaType),
    );
    const each: Descriptor[] = [];
    ix.forEachEntry((d) => each.push(d));
    assert.deepEqual(each, model, 'every entry, in file order');
    assert.equal(ix.someForeign(), unnamed, 'the flag an edit carries');
    assert.equal(new CanonicalIndex(ix.bytes).someForeign(), unnamed, 'searched afresh');
  };
  check();
  // a fixed walk through every position: first, middle, last, only, none, then appends into []
  const untag = (n: string, all: boolean): void => {
    const hit = model.find((m) => name(m) === n);
    assert.equal(ix.untag(n, all), hit !== undefined);
    model = model.filter((m) => (all ? name(m) !== n : m !== hit));
    check();
  };
  const drop = (d: Descriptor): void => {
    ix = new CanonicalIndex(ix.bytes);
    // remove by rebuilding from a model without it (entries with no name are dropped through a name given first)
    const named = { ...d, annotations: { ...d.annotations, [Annotation.refName]: `drop-${d.digest}` } };
    model = model.map((m) => (m === d ? named : m));
    ix = new CanonicalIndex(canonical(model, annotations));
    untag(`drop-${d.digest}`, false);
  };
  untag('acme.a:1', false); // the first entry, the duplicate stays
  untag('acme.a:1', true);
  untag('plat', false); // in the middle
  untag('nope', false);
  const append = (d: Descriptor): void => {
    ix.append(d);
    model = [...model, d];
    check();
  };
  append(manifest(11, { [Annotation.refName]: 'new-a' }));
  append({ ...manifest(12, { [Annotation.refName]: 'plat2' }), platform: { architecture: 'arm64', os: 'linux' } });
  untag('plat2', false); // the last of several
  while (model.length > 0) drop(model[model.length > 2 ? 1 : 0] as Descriptor);
  assert.match(ix.bytes.toString(), /"manifests": \[\],/);
  append(manifest(13, { [Annotation.refName]: 'only' })); // into []
  untag('only', false); // the only one
  append(manifest(13, { [Annotation.refName]: 'again' }));
});

test('CanonicalIndex without index annotations: the array end is the last bracket', () => {
  const ix = new CanonicalIndex(canonical([manifest(1, { [Annotation.refName]: 'a' })]));
  ix.untag('a');
  assert.equal(ix.bytes.toString(), canonical([]).toString());
  ix.append(manifest(2, { [Annotation.refName]: 'b' }));
  assert.equal(ix.bytes.toString(), canonical([manifest(2, { [Annotation.refName]: 'b' })]).toString());
});

test('tag and untag edit the index.json this store wrote as bytes, and parse any other whole', async () => {
  const root = join(await tempDir(), 'catalog');
  const work = await tempDir();
  const a = await seedPack(root, 'acme.a:1.0.0', work);
  const b = await seedPack(root, 'acme.b:1.0.0', work);
  const sig = await seedReferrer(root, a.manifest);
  const canonicalOf = async (path: string): Promise<Buffer> =>
    Buffer.from(JSON.stringify(JSON.parse(await readFile(path, 'utf8')), null, 2) + '\n');

  // another tool rewrote index.json in its own form: not the recorded bytes, so parsed and checked whole
  const store = await Store.open(root);
  await writeFile(store.paths.index, JSON.stringify(JSON.parse(await readFile(store.paths.index, 'utf8'))));
  await store.tag(b.manifest, 'acme.b:stable');
  const written = await readFile(store.paths.index);
  assert.deepEqual(written, await canonicalOf(store.paths.index), 'written in the canonical form');
  assert.ok(parsedIfCached(store.paths.index, written), 'parsed whole (the bytes were not the recorded ones)');
  assert.ok((await readdir(root)).includes('scrydon-index-sha256'));

  // the same store seen afresh (another path: this process has no parse of it, as a new process has none): the
  // recorded bytes are edited as bytes, nothing is parsed whole, and the result is the canonical form
  const copy = join(await tempDir(), 'catalog');
  await cp(root, copy, { recursive: true });
  const fresh = await Store.open(copy);
  assert.equal((await fresh.resolve('acme.a:1.0.0')).digest, a.manifest.digest);
  assert.deepEqual(
    (await fresh.referrers(a.manifest)).map((d) => d.digest),
    [sig.digest],
  );
  await fresh.tag(a.manifest, 'acme.a:stable');
  await fresh.untag('acme.b:stable');
  const bytes = await readFile(fresh.paths.index);
  assert.equal(parsedIfCached(fresh.paths.index, bytes), undefined, 'edited as bytes, never parsed whole');
  assert.deepEqual(bytes, await canonicalOf(fresh.paths.index));
  assert.deepEqual(
    (await fresh.index()).manifests.map(
      (m) => m.annotations?.[Annotation.refName] ?? m.annotations?.[Annotation.subject],
    ),
    ['acme.a:1.0.0', 'acme.b:1.0.0', a.manifest.digest, 'acme.a:stable'],
  );

  // a damaged index.json that does not match the record is refused as before, and left as it was
  const damaged = bytes.toString().replace(`"${b.manifest.digest}"`, '"sha256:nothex"');
  await writeFile(fresh.paths.index, damaged);
  await assert.rejects(fresh.tag(a.manifest, 'acme.a:x'), (e: unknown) => isScrydonError(e, 'manifest_invalid'));
  await assert.rejects(fresh.untag('acme.a:stable'), (e: unknown) => isScrydonError(e, 'manifest_invalid'));
  assert.equal(await readFile(fresh.paths.index, 'utf8'), damaged);
});

test('the record says whether some entry is foreign; a store that wrote it never searches for one', async () => {
  const root = join(await tempDir(), 'catalog');
  const work = await tempDir();
  const a = await seedPack(root, 'acme.a:1.0.0', work);
  const sig = await seedReferrer(root, a.manifest);
  const store = await Store.open(root);
  const record = join(root, 'scrydon-index-sha256');
  const recordOf = async (): Promise<string[]> => (await readFile(record, 'latin1')).split('\n');
  await store.tag(a.manifest, 'acme.a:stable');
  assert.equal((await recordOf())[1], 'foreign 0', 'tags and a referrer with its subject: none foreign');

  // a fresh process (another path) answers referrers from the bytes and the record, parsing nothing whole
  const fresh = async (): Promise<Store> => {
    const copy = join(await tempDir(), 'catalog');
    await cp(root, copy, { recursive: true });
    return Store.open(copy);
  };
  const s1 = await fresh();
  assert.deepEqual(
    (await s1.referrers(a.manifest)).map((d) => d.digest),
    [sig.digest],
  );
  assert.equal(parsedIfCached(s1.paths.index, await readFile(s1.paths.index)), undefined);

  // an older record (the sha256 alone) is still honoured: the flag is searched for instead
  await writeFile(record, `${(await recordOf())[0]}\n`);
  const s2 = await fresh();
  assert.equal((await s2.referrers(a.manifest)).length, 1);
  assert.equal(parsedIfCached(s2.paths.index, await readFile(s2.paths.index)), undefined, 'still not parsed whole');
  await s2.tag(a.manifest, 'acme.a:again'); // an edit by bytes records the flag it searched for
  assert.equal((await readFile(join(s2.paths.root, 'scrydon-index-sha256'), 'latin1')).split('\n')[1], 'foreign 0');

  // another tool keeps the referrer untagged and without io.scrydon.subject: the next write records it foreign,
  // and referrers() opens it to find its subject
  const idx = JSON.parse(await readFile(store.paths.index, 'utf8')) as { manifests: Descriptor[] };
  idx.manifests = idx.manifests.map((m) => (m.digest === sig.digest ? { ...m, annotations: {} } : m));
  await writeFile(store.paths.index, JSON.stringify(idx));
  await store.tag(a.manifest, 'acme.a:other');
  assert.equal((await recordOf())[1], 'foreign 1');
  const s3 = await fresh();
  assert.deepEqual(
    (await s3.referrers(a.manifest)).map((d) => d.digest),
    [sig.digest],
  );

  // an entry appended by bytes turns a known 'no foreign entry' flag
  const ix = new CanonicalIndex(canonical([manifest(1, { [Annotation.refName]: 'a' })]), false);
  ix.append(manifest(2));
  assert.equal(ix.knownForeign, true);
});
