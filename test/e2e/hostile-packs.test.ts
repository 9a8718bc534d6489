import assert from 'node:assert/strict';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { cleanupTemps, expectError, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import {
  packEntries,
  samplePack,
  storePack,
  storeSamplePack,
  tarBytes,
  type StorePackOptions,
  type TarEntrySpec,
} from '../helpers/make-pack.js';

/**
 * Hostile packs written with the library (scrydon build would refuse to make them). Each must fail with
 * its own error code, in install and in inspect, and leave SCRYDON_HOME — store and install root, where a
 * good pack is already installed — byte-for-byte as it was.
 */

const { packJson, files } = samplePack();
const good = packEntries(packJson, files);
const withExtra = (...extra: TarEntrySpec[]): TarEntrySpec[] => [...good, ...extra];

interface Case {
  name: string;
  code: string;
  pack: Omit<StorePackOptions, 'tag'> | (() => Promise<Omit<StorePackOptions, 'tag'>>);
}

const cases: Case[] = [
  {
    name: '../ traversal',
    code: 'unsafe_path',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: '../../escaped.txt', body: 'pwned' }) },
  },
  {
    name: '.. inside a path',
    code: 'unsafe_path',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/../../escaped.txt', body: 'pwned' }) },
  },
  {
    name: 'absolute path',
    code: 'unsafe_path',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: '/tmp/scrydon-escaped.txt', body: 'pwned' }) },
  },
  {
    name: 'backslash path',
    code: 'unsafe_path',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology\\..\\..\\escaped.txt', body: 'pwned' }) },
  },
  {
    name: 'path that does not normalise (a//b)',
    code: 'unsafe_path',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology//x.txt', body: 'x' }) },
  },
  {
    name: 'symlink entry',
    code: 'unsafe_entry',
    pack: {
      shape: 'scrydon',
      packJson,
      entries: withExtra({ name: 'ontology/passwd', type: 'symlink', linkname: '/etc/passwd' }),
    },
  },
  {
    name: 'symlink then write through it',
    code: 'unsafe_entry',
    pack: {
      shape: 'oras',
      entries: withExtra(
        { name: 'out', type: 'symlink', linkname: '/tmp' },
        { name: 'out/escaped.txt', body: 'pwned' },
      ),
    },
  },
  {
    name: 'hardlink entry',
    code: 'unsafe_entry',
    pack: {
      shape: 'scrydon',
      packJson,
      entries: withExtra({ name: 'ontology/hard', type: 'link', linkname: '../../../etc/passwd' }),
    },
  },
  {
    name: 'character device',
    code: 'unsafe_entry',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/null', type: 'character-device' }) },
  },
  {
    name: 'block device',
    code: 'unsafe_entry',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/sda', type: 'block-device' }) },
  },
  {
    name: 'FIFO',
    code: 'unsafe_entry',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/pipe', type: 'fifo' }) },
  },
  {
    name: 'duplicate entry',
    code: 'unsafe_entry',
    pack: {
      shape: 'scrydon',
      packJson,
      entries: withExtra({ name: 'ontology/manifest.json', body: '{"replaced":true}' }),
    },
  },
  {
    name: 'names that collide once case-folded',
    code: 'unsafe_entry',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/MANIFEST.json', body: '{}' }) },
  },
  {
    name: 'a file nested under a file',
    code: 'unsafe_entry',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'pack.json/inner', body: 'x' }) },
  },
  {
    name: 'truncated gzip',
    code: 'archive_truncated',
    pack: { shape: 'scrydon', packJson, entries: good, cutLayerBytes: 40 },
  },
  {
    name: 'truncated tar inside a valid gzip',
    code: 'archive_truncated',
    pack: async () => {
      const t = await tarBytes(withExtra({ name: 'ontology/big.bin', body: Buffer.alloc(4096, 7) }));
      return { shape: 'scrydon', packJson, entries: [], rawLayer: gzipSync(t.subarray(0, t.length - 1024 - 2048)) };
    },
  },
  {
    name: 'not gzip at all',
    code: 'archive_invalid',
    pack: {
      shape: 'scrydon',
      packJson,
      entries: [],
      rawLayer: Buffer.from('PK\u0003\u0004 this is a zip, not a tar.gz'),
    },
  },
  {
    name: 'tar bomb: more than 10 000 entries',
    code: 'size_limit_exceeded',
    pack: {
      shape: 'scrydon',
      packJson,
      entries: withExtra(...Array.from({ length: 10_001 }, (_, i) => ({ name: `ontology/many/f${i}`, body: '' }))),
    },
  },
  {
    name: 'tar bomb: 513 MiB of zeros in a small layer',
    code: 'size_limit_exceeded',
    pack: { shape: 'scrydon', packJson, entries: withExtra({ name: 'ontology/zeros.bin', zeros: 513 * 1024 * 1024 }) },
  },
  {
    name: 'pack.json over 1 MiB in the layer',
    code: 'size_limit_exceeded',
    pack: { shape: 'oras', entries: [{ name: 'pack.json', body: ' '.repeat(1024 * 1024 + 1) }] },
  },
  {
    name: 'pack.json invalid (config)',
    code: 'pack_invalid',
    pack: { shape: 'scrydon', packJson: { ...packJson, installOrder: ['ontology'] }, entries: good },
  },
  {
    name: 'pack.json not JSON (config)',
    code: 'pack_invalid',
    pack: { shape: 'scrydon', packJson: '{"schemaVersion": 1,', entries: good },
  },
  {
    name: 'pack.json invalid (oras layer)',
    code: 'pack_invalid',
    pack: {
      shape: 'oras',
      entries: packEntries({ ...packJson, package: { id: 'Not A Valid Id', version: 'one' } }, files, './'),
    },
  },
  {
    name: 'no pack.json (oras layer)',
    code: 'pack_invalid',
    pack: { shape: 'oras', entries: good.filter((e) => e.name !== 'pack.json') },
  },
];

describe('hostile packs', () => {
  let home: string;

  before(async () => {
    home = await tempDir();
    await storeSamplePack(home, 'scrydon', { id: 'acme.good' });
    await ok(['install', 'acme.good:1.0.0'], { home });
    for (const [i, c] of cases.entries()) {
      const pack = typeof c.pack === 'function' ? await c.pack() : c.pack;
      await storePack(home, { ...pack, tag: `hostile.case:${i}` });
    }
  });
  after(cleanupTemps);

  for (const [i, c] of cases.entries()) {
    it(`${c.name} → ${c.code}, nothing changes`, async () => {
      const before_ = await treeHash(home);
      expectError(await scrydon(['install', `hostile.case:${i}`], { home }), c.code);
      assert.equal(await treeHash(home), before_, 'install changed SCRYDON_HOME');
      expectError(await scrydon(['inspect', `hostile.case:${i}`], { home }), c.code);
      assert.equal(await treeHash(home), before_, 'inspect changed SCRYDON_HOME');
    });
  }

  it('a layer blob corrupted on disk → digest_mismatch, install root unchanged', async () => {
    const h = await tempDir();
    const p = await storeSamplePack(h, 'scrydon');
    const blob = join(h, 'catalog', 'blobs', 'sha256', p.layer.digest.slice(7));
    await chmod(blob, 0o644);
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(blob);
    bytes[bytes.length - 12] = (bytes[bytes.length - 12] ?? 0) ^ 0xff;
    await writeFile(blob, bytes);
    const before_ = await treeHash(h);
    const r = expectError(await scrydon(['install', 'acme.fraud:1.0.0'], { home: h }), 'digest_mismatch');
    assert.match(r.stderr, /sha256:/);
    assert.equal(await treeHash(h), before_);
  });

  it('a fresh home keeps no install root after a refused install', async () => {
    const h = await tempDir();
    await storePack(h, {
      shape: 'scrydon',
      packJson,
      entries: withExtra({ name: '../escaped.txt', body: 'x' }),
      tag: 'bad:1',
    });
    expectError(await scrydon(['install', 'bad:1'], { home: h }), 'unsafe_path');
    assert.deepEqual(await readdir(h), ['catalog']);
  });
});
