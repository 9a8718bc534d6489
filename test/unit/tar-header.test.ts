import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK, decodeHeader, encodeHeader, encodeHeaderInto } from '../../src/archive/tar-format.js';

/** The ustar header as the format defines it, field by field, with the checksum summed over the whole block. */
function reference(name: string, size: number, type: 'file' | 'directory'): Buffer {
  const b = Buffer.alloc(BLOCK);
  const octal = (off: number, len: number, v: number) =>
    b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
  b.write(name, 0, 100, 'utf8');
  octal(100, 8, type === 'directory' ? 0o755 : 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  if (size < 8 ** 11) octal(124, 12, size);
  else {
    b[124] = 0x80;
    for (let i = 135, v = size; i > 124; i--, v = Math.floor(v / 256)) b[i] = v % 256;
  }
  octal(136, 12, 0);
  b.write(type === 'directory' ? '5' : '0', 156, 1, 'latin1');
  b.write('ustar\u000000', 257, 8, 'latin1');
  b.write('root', 265, 32, 'latin1');
  b.write('root', 297, 32, 'latin1');
  b.write('        ', 148, 8, 'latin1');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

test('tar headers from the template are the format bytes, in place or in a block of their own', () => {
  const names = ['blobs/', `blobs/sha256/${'ab'.repeat(32)}`, 'index.json', 'x'.repeat(100), 'é'.repeat(50)];
  const sizes = [0, 1, 511, 512, 123_456, 8 ** 11 - 1, 8 ** 11, 2 ** 40];
  for (const name of names)
    for (const size of sizes)
      for (const type of ['file', 'directory'] as const) {
        const want = reference(name, size, type);
        assert.deepEqual(encodeHeader(name, size, type), want, `${name} ${size} ${type}`);
        const dst = Buffer.alloc(3 * BLOCK, 0xff); // what was there before is overwritten
        encodeHeaderInto(dst, BLOCK, name, size, type);
        assert.deepEqual(dst.subarray(BLOCK, 2 * BLOCK), want);
        const d = decodeHeader(want);
        assert.ok(d.ok && d.header.name === name && d.header.size === size);
      }
  assert.throws(() => encodeHeader('é'.repeat(51), 1, 'file'), /too long/);
});
