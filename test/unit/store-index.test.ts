import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isScrydonError, ScrydonError } from '../../src/errors.js';
import { updateIndex } from '../../src/store/index-file.js';
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
