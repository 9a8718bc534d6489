import assert from 'node:assert/strict';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isScrydonError, ScrydonError } from '../../src/errors.js';
import { readIndexBytes, updateIndex } from '../../src/store/index-file.js';
import type { LayoutPaths } from '../../src/store/layout.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { seedPack } from '../helpers/seed-store.js';

after(cleanupTemps);

test('updateIndex: concurrent updates in one process are applied in order, written together, and a failing one fails alone', async () => {
  const root = join(await tempDir(), 'catalog');
  const seeded = await seedPack(root, 'acme.base:1.0.0', await tempDir());
  const store = await Store.open(root);
  const refs = Array.from({ length: 40 }, (_, i) => `acme.many:1.0.${i}`);
  const failing = updateIndex(store.paths, () => {
    throw new ScrydonError('usage', 'this update refuses');
  });
  const seen: number[] = [];
  const counting = updateIndex(store.paths, (idx) => {
    seen.push(idx.manifests.length);
    return { result: idx.manifests.length };
  });
  await Promise.all([
    ...refs.map((r) => store.tag(seeded.manifest, r)),
    assert.rejects(failing, (e: unknown) => isScrydonError(e, 'usage')),
    counting,
  ]);
  const tags = (await store.tags()).sort();
  assert.deepEqual(tags, ['acme.base:1.0.0', ...refs].sort(), 'no tag lost');
  const onDisk = JSON.parse(await readFile(store.paths.index, 'utf8')) as { manifests: unknown[] };
  assert.equal(onDisk.manifests.length, refs.length + 1);
  // the counting update ran after the tags queued before it, within the same batch or a later one
  assert.ok((seen[0] ?? 0) >= 1);
  // and a later update sees everything
  assert.equal(await updateIndex(store.paths, (idx) => ({ result: idx.manifests.length })), refs.length + 1);
});

test('readIndexBytes: an unchanged index.json is read once per process; a replaced or rewritten one is read again', async () => {
  const dir = await tempDir();
  const paths = { root: dir, index: join(dir, 'index.json') } as LayoutPaths;
  const a = Buffer.from('{"schemaVersion":2,"manifests":[]}\n');
  await writeFile(paths.index, a);
  await delay(80); // past the settling margin: a file changed within a clock tick is never reused
  const first = await readIndexBytes(paths);
  assert.deepEqual(first, a);
  assert.equal(await readIndexBytes(paths), first, 'the same Buffer: look-ups keyed by the bytes compare by reference');

  // another tool replaces it by rename (a new inode), same size
  const b = Buffer.from('{"schemaVersion":2,"manifests":[ ]}\n');
  await writeFile(`${paths.index}.tmp`, b);
  await rename(`${paths.index}.tmp`, paths.index);
  assert.deepEqual(await readIndexBytes(paths), b);

  // rewritten in place, same size, at once: ctime has not settled, so every read reads
  const c = Buffer.from('{"schemaVersion":2,"manifests":[\t]}\n');
  await writeFile(paths.index, c);
  assert.deepEqual(await readIndexBytes(paths), c);
  const d = Buffer.from('{"schemaVersion":2,"manifests":[\n]}\n');
  await writeFile(paths.index, d);
  assert.deepEqual(await readIndexBytes(paths), d);

  await rm(paths.index);
  assert.equal(await readIndexBytes(paths), undefined);
});
