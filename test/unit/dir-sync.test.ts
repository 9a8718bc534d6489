import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OwedSync } from '../../src/fs/dir-sync.js';

/** A directory sync that finishes when the test says so, recording how many renames were noted when each began. */
function gatedSync(): { owed: OwedSync; started: number[]; finish: () => void } {
  const started: number[] = [];
  const gates: Array<() => void> = [];
  let noted = 0;
  const owed = new OwedSync('/nowhere', async () => {
    started.push(noted);
    await new Promise<void>((resolve) => gates.push(resolve));
  });
  const note = owed.noted.bind(owed);
  owed.noted = () => {
    noted++;
    note();
  };
  return { owed, started, finish: () => gates.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

test('nothing owed: settling syncs nothing', async () => {
  const { owed, started } = gatedSync();
  await owed.settle();
  assert.deepEqual(started, []);
});

test('many renames, many writers settling at once: one sync covers them all', async () => {
  const { owed, started, finish } = gatedSync();
  owed.noted();
  owed.noted();
  owed.noted();
  let done = 0;
  const settles = [owed.settle(), owed.settle(), owed.settle()].map((p) => p.then(() => done++));
  await tick();
  assert.equal(done, 0, 'nobody goes on before the sync ends');
  finish();
  await Promise.all(settles);
  assert.deepEqual(started, [3]);
  await owed.settle();
  assert.deepEqual(started, [3], 'paid: no second sync');
});

test('a rename noted while a sync runs is not covered by it: its writer waits for the next', async () => {
  const { owed, started, finish } = gatedSync();
  owed.noted();
  const first = owed.settle();
  await tick();
  owed.noted(); // renamed after the sync began
  let secondDone = false;
  const second = owed.settle().then(() => (secondDone = true));
  finish();
  await first; // the first writer's rename is paid: it does not wait for the one noted after
  await tick();
  assert.equal(secondDone, false, 'still owed after the first sync');
  assert.deepEqual(started, [1, 2]);
  finish();
  await second;
});

test('a failed sync fails its writers and stays owed', async () => {
  let fail = true;
  let calls = 0;
  const owed = new OwedSync('/nowhere', async () => {
    calls++;
    if (fail) throw new Error('EIO');
  });
  owed.noted();
  await assert.rejects(owed.settle(), /EIO/);
  fail = false;
  await owed.settle();
  assert.equal(calls, 2);
});
