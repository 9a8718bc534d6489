import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { readListView, writeListView, type ListView } from '../../src/store/list-cache.js';
import { LayoutPaths } from '../../src/store/layout.js';
import { NodeCache } from '../../src/store/node-cache.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

const digest = (n: number) => `sha256:${createHash('sha256').update(String(n)).digest('hex')}` as Descriptor['digest'];

const VIEW: ListView = {
  index: createHash('sha256').update('index').digest('hex'),
  rows: [
    {
      ref: 'acme.a:1.0.0',
      digest: digest(1),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 755,
      childBytes: 573,
      artifactType: 'application/vnd.scrydon.pack.v1.tar.gzip',
      id: 'acme.a',
      version: '1.0.0',
      created: '2023-11-14T22:13:20Z',
    },
    {
      ref: 'some/image:latest',
      digest: digest(2),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      size: 300,
      childBytes: 1200,
      artifactType: null,
      id: null,
      version: null,
      created: null,
    },
  ],
};

const CHILDREN: Descriptor[] = [
  { mediaType: 'application/vnd.scrydon.pack.config.v1+json', digest: digest(3), size: 250 },
  { mediaType: 'application/vnd.scrydon.pack.v1.tar.gzip', digest: digest(4), size: 323 },
];

test('the list view reads back what was written, and reads as empty whenever it is damaged', async () => {
  const paths = new LayoutPaths(await tempDir());
  await writeListView(paths, VIEW);
  assert.deepEqual(await readListView(paths), VIEW);
  const file = join(paths.root, 'scrydon-ls-cache.json');
  const good = await readFile(file, 'utf8');
  const body = good.slice(65);
  const sum = (b: string) => createHash('sha256').update(b).digest('hex');
  for (const [name, bytes] of [
    ['missing', undefined],
    ['truncated', good.slice(0, good.length >> 1)],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a, 0x7b])],
    ['a lie about a version without its checksum', good.replace('"1.0.0"', '"6.6.6"')],
    ['no checksum line', body],
    ['valid checksum, not JSON', `${sum('{nope')}\n{nope`],
    ['valid checksum, another version', `${sum(body.replace('"v":1', '"v":9'))}\n${body.replace('"v":1', '"v":9')}`],
    ['valid checksum, a row cut short', `${sum(body.replace(',573,', ','))}\n${body.replace(',573,', ',')}`],
    [
      'valid checksum, a type out of the table',
      `${sum(body.replace(/,\d+,755,/, ',7,755,'))}\n${body.replace(/,\d+,755,/, ',7,755,')}`,
    ],
  ] as const) {
    if (bytes === undefined) await rm(file);
    else await writeFile(file, bytes);
    assert.deepEqual(await readListView(paths), { index: null, rows: [] }, name);
  }
});

test('the node cache reads back the child lists and subjects it saved, and reads as empty whenever it is damaged', async () => {
  const paths = new LayoutPaths(await tempDir());
  const cache = await NodeCache.load(paths);
  cache.set(digest(1), { children: CHILDREN });
  cache.set(digest(5), { children: [CHILDREN[0] as Descriptor], subject: digest(1) });
  cache.children.set(digest(3), []); // a blob a mark met: not saved
  await cache.save();
  const back = await NodeCache.load(paths);
  assert.deepEqual(
    [...back.children],
    [
      [digest(1), CHILDREN],
      [digest(5), [CHILDREN[0]]],
    ],
  );
  assert.deepEqual([...back.subjects], [[digest(5), digest(1)]]);
  // what gc deleted goes
  await back.save((d) => d !== digest(5));
  assert.deepEqual([...(await NodeCache.load(paths)).children.keys()], [digest(1)]);

  const file = join(paths.root, 'scrydon-node-cache.json');
  const good = await readFile(file, 'utf8');
  const body = good.slice(65);
  const sum = (b: string) => createHash('sha256').update(b).digest('hex');
  for (const [name, bytes] of [
    ['truncated', good.slice(0, good.length >> 1)],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0a, 0x7b])],
    ['a changed size without its checksum', good.replace(',250', ',251')],
    ['valid checksum, the first version of the file', `${sum('{"v":1,"nodes":{}}')}\n{"v":1,"nodes":{}}`],
    ['valid checksum, a child cut short', `${sum(body.replace(',250', ''))}\n${body.replace(',250', '')}`],
    ...[-1, 1.5, 1e9].map((n) => {
      // a child count no list can have: negative, fractional, or past the end of the file
      const bad = body.replace(/,null,\d+,/, `,null,${n},`);
      return [`valid checksum, a child count of ${n}`, `${sum(bad)}\n${bad}`] as const;
    }),
  ] as const) {
    await writeFile(file, bytes);
    const loaded = await NodeCache.load(paths);
    assert.equal(loaded.children.size + loaded.subjects.size, 0, name);
  }
});

test('the node cache is not rewritten to drop a few entries alone; the next write that learns something drops them', async () => {
  const paths = new LayoutPaths(await tempDir());
  const file = join(paths.root, 'scrydon-node-cache.json');
  const cache = await NodeCache.load(paths);
  for (let i = 1; i <= 16; i++) cache.set(digest(i), { children: CHILDREN });
  await cache.save();
  const full = await readFile(file, 'utf8');
  // gc removed one manifest of 16: under an eighth, nothing learnt, so the file stays as it is
  const gc = await NodeCache.load(paths);
  await gc.save((d) => d !== digest(3));
  assert.equal(await readFile(file, 'utf8'), full);
  // a later gc that learnt a manifest writes, and drops what nothing reaches any more
  const next = await NodeCache.load(paths);
  next.set(digest(17), { children: CHILDREN });
  await next.save((d) => d !== digest(3));
  const keys = [...(await NodeCache.load(paths)).children.keys()];
  assert.equal(keys.length, 16);
  assert.ok(!keys.includes(digest(3)) && keys.includes(digest(17)));
  // two of 16 dropped (an eighth): written even though nothing was learnt
  const many = await NodeCache.load(paths);
  await many.save((d) => d !== digest(4) && d !== digest(5));
  assert.equal((await NodeCache.load(paths)).children.size, 14);
});
