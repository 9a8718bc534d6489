import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { writeJson } from '../../cmd/output/render.js';

/** Every write writeJson makes, in order. */
function written(data: unknown): string[] {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      writes.push(String(chunk));
      done();
    },
  });
  writeJson(data, out);
  return writes;
}

test('--json output is JSON.stringify(data, null, 2) byte for byte, whatever the data', () => {
  const row = (i: number) => ({
    ref: `acme.p${i}:1.0.0`,
    tags: [`t${i}`, 'line\nbreak "quoted" \\ tab\t'],
    nested: { empty: {}, none: [], n: i, nul: null, deep: [[1, [2, { x: 'y' }]]] },
    created: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    skipped: undefined,
  });
  const cases: unknown[] = [
    [],
    [1],
    ['a\nb'],
    [undefined, () => 1, null, Symbol('s')],
    [[], {}, [[]], [{}]],
    Array.from({ length: 3 }, (_, i) => row(i)),
    Array.from({ length: 2500 }, (_, i) => row(i)), // several pieces
    { rows: [row(1)], count: 1 },
    'text',
    42,
    null,
  ];
  for (const data of cases) assert.equal(written(data).join(''), JSON.stringify(data, null, 2) + '\n');
});

test('a long array is written in pieces, none of them the whole text', () => {
  const data = Array.from({ length: 2500 }, (_, i) => ({
    ref: `acme.p${i}:1.0.0`,
    digest: `sha256:${'ab'.repeat(32)}`,
  }));
  const writes = written(data);
  const whole = JSON.stringify(data, null, 2).length;
  assert.ok(writes.length > 3, `${writes.length} writes`);
  for (const w of writes) assert.ok(w.length < whole / 2, `a write of ${w.length} of ${whole} characters`);
});
