import assert from 'node:assert/strict';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileRangeBody } from '../../src/content/file-range-body.js';
import { fastPaths, setFastPaths } from '../../src/fast-paths.js';
import { isChunkPusher } from '../../src/fs/file-sink.js';
import { createHash } from 'node:crypto';
import { digestFromHex } from '../../src/oci/digest.js';

test('SCRYDON_FAST_PATHS=0 sends a file body down the plain path: it is read as a stream, not pushed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scrydon-fast-'));
  const bytes = Buffer.from('a blob of some bytes');
  await writeFile(join(dir, 'blob'), bytes);
  const d = {
    mediaType: 'application/octet-stream',
    digest: digestFromHex(createHash('sha256').update(bytes).digest('hex')),
    size: bytes.length,
  };
  const body = () => open(join(dir, 'blob')).then((fh) => new FileRangeBody(d, 'test', fh, 0, true, true));
  assert.equal(fastPaths(), true);
  const fast = await body();
  assert.equal(isChunkPusher(fast), true);
  fast.destroy();
  setFastPaths(false);
  try {
    const plain = await body();
    assert.equal(isChunkPusher(plain), false);
    const chunks: Buffer[] = [];
    for await (const c of plain) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), bytes);
  } finally {
    setFastPaths(true);
  }
});
