import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, stat, symlink, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ReadWindows } from '../../src/archive/read-window.js';
import { BufferBody, readVerified } from '../../src/content/buffer-body.js';
import { ScrydonError } from '../../src/errors.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { digestFromHex } from '../../src/oci/digest.js';
import { createSmallBlobSync, readSmallBlobSync } from '../../src/store/small-blob.js';

const scratch = () => mkdtemp(join(tmpdir(), 'scrydon-bulk-'));

function descriptorOf(bytes: Buffer): Descriptor {
  return {
    mediaType: 'application/octet-stream',
    digest: digestFromHex(createHash('sha256').update(bytes).digest('hex')),
    size: bytes.length,
  };
}

/** The real file handle, with its reads counted. */
function counted(fh: FileHandle): { fh: FileHandle; reads: () => number } {
  let n = 0;
  const read = fh.read.bind(fh) as (...a: unknown[]) => ReturnType<FileHandle['read']>;
  const spy = Object.create(fh) as FileHandle;
  Object.defineProperty(spy, 'read', {
    value: (...a: unknown[]) => {
      n++;
      return read(...a);
    },
  });
  return { fh: spy, reads: () => n };
}

const short = (at: number) => new ScrydonError('archive_truncated', `cut short at ${at}`);

describe('read-ahead windows (archive reads of many small entries)', () => {
  test('a thousand small entries read in order cost a handful of reads, each byte for byte', async () => {
    const path = join(await scratch(), 'file');
    const bytes = randomBytes(1000 * 1536);
    await writeFile(path, bytes);
    const handle = await open(path);
    try {
      const { fh, reads } = counted(handle);
      const w = new ReadWindows(fh, bytes.length, short);
      for (let i = 0; i < 1000; i++) {
        const at = i * 1536;
        assert.deepEqual(await w.read(at, 1000), bytes.subarray(at, at + 1000));
      }
      // 1.5 MB through windows of 64, 128, then 256 KiB: 8 reads, not 1000
      assert.ok(reads() <= 8, `${reads()} reads for 1000 entries`);
    } finally {
      await handle.close();
    }
  });

  test('what a read returns is its own memory: a kept entry never pins its read-ahead window', async () => {
    const path = join(await scratch(), 'file');
    const bytes = randomBytes(4 << 20);
    await writeFile(path, bytes);
    const handle = await open(path);
    try {
      const w = new ReadWindows(handle, bytes.length, short);
      const kept: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += 64 * 1024) kept.push(await w.read(at, 20_000));
      for (const b of kept)
        assert.ok(b.buffer.byteLength < 64 * 1024, `a 20,000-byte read holds ${b.buffer.byteLength} bytes`);
    } finally {
      await handle.close();
    }
  });

  test('entries read out of order, or larger than a window, still read right', async () => {
    const path = join(await scratch(), 'file');
    const bytes = randomBytes(3 << 20);
    await writeFile(path, bytes);
    const fh = await open(path);
    try {
      const w = new ReadWindows(fh, bytes.length, short);
      const at = [2_900_000, 10, 1_500_000, 11, 2_000_000, 0];
      const got = await Promise.all(at.map((a) => w.read(a, 4000)));
      got.forEach((g, i) => assert.deepEqual(g, bytes.subarray(at[i], (at[i] as number) + 4000)));
      assert.deepEqual(await w.read(5, 2 << 20), bytes.subarray(5, 5 + (2 << 20)));
    } finally {
      await fh.close();
    }
  });

  test('a file cut short after it was opened fails the read with the caller error, and is not served again', async () => {
    const path = join(await scratch(), 'file');
    const bytes = randomBytes(200_000);
    await writeFile(path, bytes);
    const fh = await open(path);
    try {
      const w = new ReadWindows(fh, bytes.length, short);
      await truncate(path, 1000);
      await assert.rejects(
        w.read(500, 1000),
        (e: unknown) => e instanceof ScrydonError && e.code === 'archive_truncated',
      );
      await writeFile(path, bytes);
      assert.deepEqual(await w.read(500, 1000), bytes.subarray(500, 1500));
    } finally {
      await fh.close();
    }
  });
});

describe('small blobs read and written whole', () => {
  test('a blob read whole verifies: the right bytes pass, damaged or longer ones fail', async () => {
    const dir = await scratch();
    const bytes = Buffer.from('{"a small":"blob"}');
    const d = descriptorOf(bytes);
    await writeFile(join(dir, 'good'), bytes);
    await writeFile(join(dir, 'damaged'), Buffer.from('{"a small":"blub"}'));
    await writeFile(join(dir, 'longer'), Buffer.concat([bytes, Buffer.from('x')]));
    await writeFile(join(dir, 'shorter'), bytes.subarray(0, -1));
    const read = (name: string) =>
      readVerified(new BufferBody(d, name, readSmallBlobSync(join(dir, name), d.size) as Buffer), d, name);
    assert.deepEqual(await read('good'), bytes);
    await assert.rejects(read('damaged'), (e: unknown) => e instanceof ScrydonError && e.code === 'digest_mismatch');
    await assert.rejects(read('longer'), (e: unknown) => e instanceof ScrydonError && e.code === 'size_mismatch');
    await assert.rejects(read('shorter'), (e: unknown) => e instanceof ScrydonError && e.code === 'size_mismatch');
    assert.equal(readSmallBlobSync(join(dir, 'absent'), 3), undefined);
  });

  test('a link, a directory or a FIFO under a blob name is refused, as the store refuses it (a FIFO without waiting)', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'target'), 'bytes');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    const fifo = spawnSync('mkfifo', [join(dir, 'fifo')]);
    assert.equal(fifo.status, 0, String(fifo.stderr));
    for (const name of ['link', '.', 'fifo'])
      assert.throws(
        () => readSmallBlobSync(join(dir, name), 5),
        (e: unknown) => e instanceof ScrydonError && e.code === 'store_invalid',
      );
  });

  test('a written blob is read-only and closed at once; writing it again keeps it', async () => {
    const dir = await scratch();
    const path = join(dir, 'blob');
    assert.equal(createSmallBlobSync(path, Buffer.from('first')), true);
    assert.equal(createSmallBlobSync(path, Buffer.from('other')), false);
    assert.equal(await readFile(path, 'utf8'), 'first');
    assert.equal((await stat(path)).mode & 0o222, 0);
    assert.throws(() => createSmallBlobSync(join(dir, 'no', 'such', 'dir'), Buffer.from('x')), /ENOENT/);
  });
});
