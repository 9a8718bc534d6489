import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CAPPED_YOUNG_BYTES } from '../../src/heap-policy.js';

const POLICY = fileURLToPath(new URL('../../src/heap-policy.js', import.meta.url));
/** Where V8 honours a growth factor of 1 (newer V8 raises it to 2, so the policy changes nothing there). */
const SIZES = process.versions.node.startsWith('20.') || 'newer V8 raises the factor to 2: fixed-young changes nothing';

/**
 * The young generation's largest size (MiB) while a child keeps 300,000 small objects alive under `policies`;
 * `worker`: a worker thread is started first ('kept': with keepHeapPolicyWhileStarting) and is online before.
 */
function youngPeak(policies: readonly string[], worker?: 'plain' | 'kept'): number {
  const script = `
    import v8 from 'node:v8';
    import { once } from 'node:events';
    import { Worker } from 'node:worker_threads';
    import { applyHeapPolicy, keepHeapPolicyWhileStarting } from ${JSON.stringify(POLICY)};
    applyHeapPolicy(${JSON.stringify(policies)});
    const worker = ${JSON.stringify(worker ?? null)};
    let w;
    if (worker) {
      w = new Worker('setInterval(() => {}, 1000)', { eval: true });
      if (worker === 'kept') keepHeapPolicyWhileStarting([w]);
      await once(w, 'online');
    }
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    let peak = young();
    const keep = [];
    for (let i = 0; i < 300000; i++) {
      keep.push({ i, s: 'x' + i });
      if (i % 1000 === 0) {
        peak = Math.max(peak, young());
        await new Promise((r) => setTimeout(r, 1)); // a turn of the event loop, as a command's work has (capped-young checks between tasks)
      }
    }
    await w?.terminate();
    process.stdout.write(String(peak / 1048576));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'V8 printed nothing (it does for a flag it does not know)');
  return Number(r.stdout);
}

test('every policy is made of flags this V8 knows: setting them prints nothing and the work completes', () => {
  for (const p of [[], ['fixed-young'], ['slow-old'], ['fixed-young', 'slow-old'], ['capped-young', 'slow-old']])
    assert.ok(youngPeak(p) > 0);
});

test('fixed-young keeps the young generation at its first size', { skip: SIZES !== true && SIZES }, () => {
  const plain = youngPeak([]);
  assert.ok(plain >= 8, `without the policy the young generation grows (${plain} MiB)`);
  for (const p of [['fixed-young'], ['fixed-young', 'slow-old']]) {
    const fixed = youngPeak(p);
    assert.ok(fixed <= 2, `with ${p.join(' and ')} it stays at its first semi-space (${fixed} MiB)`);
  }
});

test(
  'capped-young lets the young generation grow to its cap, then no further',
  { skip: SIZES !== true && SIZES },
  () => {
    const capMiB = CAPPED_YOUNG_BYTES / 1048576;
    const plain = youngPeak([]);
    assert.ok(plain > capMiB, `without the policy it grows past the cap (${plain} MiB)`);
    for (const p of [['capped-young'], ['capped-young', 'slow-old']]) {
      const capped = youngPeak(p);
      assert.ok(
        capped >= capMiB && capped < plain,
        `with ${p.join(' and ')} it grows to the cap and stops (${capped} MiB)`,
      );
    }
  },
);

test('a worker thread undoes fixed-young unless its start is kept', { skip: SIZES !== true && SIZES }, () => {
  const undone = youngPeak(['fixed-young'], 'plain');
  const kept = youngPeak(['fixed-young'], 'kept');
  assert.ok(undone >= 8, `a worker's start resets the factor (${undone} MiB)`);
  assert.ok(kept <= 2, `keepHeapPolicyWhileStarting sets it again (${kept} MiB)`);
});
