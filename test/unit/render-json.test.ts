import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { writeJson } from '../../cmd/output/render.js';

/** Every write writeJson makes, in order; `slow`: a reader that takes a while per write and buffers little. */
async function written(data: unknown, slow = false): Promise<string[]> {
  const writes: string[] = [];
  const out = new Writable({
    highWaterMark: slow ? 1024 : 16 * 1024,
    write(chunk: Buffer | string, _enc, done) {
      writes.push(String(chunk));
      if (slow) void sleep(2).then(() => done());
      else done();
    },
  });
  await writeJson(data, out);
  await new Promise<void>((resolve) => out.end(resolve));
  return writes;
}

const row = (i: number) => ({
  ref: `acme.p${i}:1.0.0`,
  tags: [`t${i}`, 'line\nbreak "quoted" \\ tab\t \u2028 \u2029 é 🙂'],
  nested: { empty: {}, none: [], n: i, nul: null, deep: [[1, [2, { x: 'y' }]]] },
  created: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
  skipped: undefined,
});

test('--json output is JSON.stringify(data, null, 2) byte for byte, whatever the data', async () => {
  const keyed = { toJSON: (key: string) => ({ key }) };
  const own = Object.assign([1, 2], { toJSON: () => 'the array itself' });
  const cases: unknown[] = [
    [],
    [1],
    ['a\nb'],
    [undefined, () => 1, null, Symbol('s')],
    // eslint-disable-next-line no-sparse-arrays
    [1, , 3],
    [[], {}, [[]], [{}]],
    [keyed, keyed, keyed],
    own,
    Array.from({ length: 3 }, (_, i) => row(i)),
    Array.from({ length: 2500 }, (_, i) => row(i)), // several pieces
    { rows: [row(1)], count: 1 },
    'text',
    42,
    null,
  ];
  for (const data of cases) assert.equal((await written(data)).join(''), JSON.stringify(data, null, 2) + '\n');
});

test('a long array is written in pieces, none of them the whole text, and waits for a slow reader', async () => {
  const data = Array.from({ length: 2500 }, (_, i) => row(i));
  const whole = JSON.stringify(data, null, 2) + '\n';
  for (const slow of [false, true]) {
    const writes = await written(data, slow);
    assert.ok(writes.length > 3, `${writes.length} writes`);
    for (const w of writes)
      assert.ok(w.length < whole.length / 2, `a write of ${w.length} of ${whole.length} characters`);
    assert.equal(writes.join(''), whole);
  }
});
