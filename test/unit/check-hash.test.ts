import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Hashed, HashPool, hashEvery, Keep } from '../../src/store/check-hash.js';

const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('check-hash: the hashing threads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scrydon-hash-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const json = Buffer.from('{"schemaVersion":2}');
  const layer = Buffer.from([0x1f, 0x8b, 1, 2, 3]);
  const big = Buffer.alloc(3 << 20, 7); // several reads of the 1 MiB buffer
  await writeFile(join(dir, hex(json)), json);
  await writeFile(join(dir, hex(layer)), layer);
  await writeFile(join(dir, hex(big)), big);
  const damaged = hex('what it should hold');
  await writeFile(join(dir, damaged), 'something else');
  const asDir = hex('a directory');
  await mkdir(join(dir, asDir));
  const link = hex('a link');
  await symlink(join(dir, hex(json)), join(dir, link));
  const names = [hex(json), hex(layer), hex(big), damaged, asDir, link, hex('not there')];

  test('each file: its size, whether it hashes to its name, why not; JSON kept whole when asked', async () => {
    const pool = new HashPool(dir, 2);
    try {
      const b = await pool.hash(names, new Uint8Array(names.length).fill(Keep.Json), { keepBytes: 1024 });
      assert.deepEqual([...b.sizes.slice(0, 4)], [json.length, layer.length, big.length, 14]);
      assert.deepEqual(
        [...b.status],
        [
          Hashed.Sound,
          Hashed.Sound,
          Hashed.Sound,
          Hashed.Mismatch,
          Hashed.Unreadable,
          Hashed.Unreadable,
          Hashed.Unreadable,
        ],
      );
      assert.deepEqual(b.bytes(0), json);
      assert.equal(b.bytes(1), undefined, 'not JSON: hashed, not kept');
      assert.equal(b.bytes(2), undefined, 'larger than keepBytes');
      assert.equal(b.problem(3).digest, `sha256:${hex('something else')}`);
      assert.equal(b.problem(4).openError?.code, 'ENOTFILE');
      assert.equal(b.problem(5).openError?.code, 'ELOOP');
      assert.equal(b.problem(6).openError?.code, 'ENOENT');
    } finally {
      await pool.close();
    }
  });

  test('Keep.Yes keeps any small file; a file longer than the cap is not hashed', async () => {
    const pool = new HashPool(dir, 1);
    try {
      const keep = new Uint8Array(3).fill(Keep.Yes);
      const b = await pool.hash(names.slice(0, 3), keep, { keepBytes: 1024, cap: 1024 });
      assert.deepEqual(b.bytes(1), layer);
      assert.deepEqual([...b.status], [Hashed.Sound, Hashed.Sound, Hashed.TooLong]);
    } finally {
      await pool.close();
    }
  });

  test('hashEvery hands back every batch, each with the place of its first file', async () => {
    const pool = new HashPool(dir, 2);
    try {
      const many = Array.from({ length: 50 }, (_, i) => names[i % 3] as string);
      const seen = new Array<number>(many.length).fill(-1);
      await hashEvery(
        pool,
        many,
        () => Keep.No,
        0,
        (start, b) => {
          for (let j = 0; j < b.status.length; j++) seen[start + j] = b.sizes[j] as number;
        },
      );
      assert.deepEqual(
        seen,
        many.map((_, i) => [json.length, layer.length, big.length][i % 3]),
      );
    } finally {
      await pool.close();
    }
  });
});
