import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { removeDeadScratch } from '../../src/install/leftovers.js';
import {
  readInstallState,
  updateInstallState,
  installStateBytes,
  type InstallRecord,
  type InstallState,
} from '../../src/install/state.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

function rec(id: string): InstallRecord {
  return {
    id,
    version: '1.0.0',
    digest: `sha256:${'a'.repeat(64)}`,
    source: 'manual',
    installedAt: '2024-01-01T00:00:00.000Z',
    status: 'active',
    contents: [],
  };
}

async function onDisk(root: string): Promise<string[]> {
  const text = await readFile(join(root, 'installed.json'), 'utf8').catch(() => undefined);
  return text === undefined ? [] : Object.keys((JSON.parse(text) as InstallState).packs);
}

test('updates queued while the state lock is awaited run in turn under one hold and are written once (group commit)', async () => {
  const root = await tempDir();
  const seen: Array<{ id: string; inState: string[]; inFile: string[] }> = [];
  const ids = Array.from({ length: 8 }, (_, i) => `acme.p${i}`);
  const results = await Promise.all(
    ids.map((id) =>
      updateInstallState(root, async (state) => {
        seen.push({ id, inState: Object.keys(state.packs), inFile: await onDisk(root) });
        return { put: rec(id), result: id.toUpperCase() };
      }),
    ),
  );
  assert.deepEqual(
    results,
    ids.map((id) => id.toUpperCase()),
  );
  // each step saw every step before it; the first holder ran them all before the file was written
  assert.deepEqual(
    seen.map((s) => s.id),
    ids,
  );
  seen.forEach((s, i) => {
    assert.deepEqual(s.inState, ids.slice(0, i));
    assert.deepEqual(s.inFile, [], `step ${i} ran after a write`);
  });
  assert.deepEqual(Object.keys((await readInstallState(root)).packs), ids);
});

test('a failing step fails alone; when the write fails every step is undone and fails, and the file is unchanged', async () => {
  const root = await tempDir();
  await updateInstallState(root, async () => ({ put: rec('acme.first'), result: undefined }));
  const before = await readFile(join(root, 'installed.json'), 'utf8');

  const bad = updateInstallState(root, async () => {
    throw new Error('step refused');
  });
  const good = updateInstallState(root, async () => ({ put: rec('acme.second'), result: 'ok' }));
  await assert.rejects(bad, /step refused/);
  assert.equal(await good, 'ok');
  assert.deepEqual(await onDisk(root), ['acme.first', 'acme.second']);

  const written = await readFile(join(root, 'installed.json'), 'utf8');
  const undone: string[] = [];
  const moved = join(root, 'moved');
  const steps = ['acme.third', 'acme.fourth'].map((id, i) =>
    updateInstallState(root, async () => {
      await mkdir(join(moved, id), { recursive: true });
      // the second record cannot be written (JSON has no BigInt): the whole batch's write fails
      const r = i === 1 ? ({ ...rec(id), installedAt: 1n } as unknown as InstallRecord) : rec(id);
      return {
        put: r,
        result: id,
        undo: async () => {
          undone.push(id);
        },
        committed: async () => {
          await writeFile(join(moved, id, 'committed'), '');
        },
      };
    }),
  );
  for (const s of steps) await assert.rejects(s, /BigInt/);
  assert.deepEqual(undone, ['acme.fourth', 'acme.third'], 'undone last first');
  assert.equal(await readFile(join(root, 'installed.json'), 'utf8'), written);
  await assert.rejects(stat(join(moved, 'acme.third', 'committed')), { code: 'ENOENT' });
  assert.notEqual(before, written);
});

test('the state file is written as JSON.stringify(state, null, 2) would write it, records reused or not', async () => {
  const frozen: InstallRecord = Object.freeze({
    ...rec('acme.frozen'),
    contents: Object.freeze([Object.freeze({ kind: 'ontology' as const, path: 'o' })]) as InstallRecord['contents'],
  });
  const states: InstallState[] = [
    { schemaVersion: 1, packs: {} },
    { schemaVersion: 1, packs: { 'acme.a': rec('acme.a') } },
    {
      schemaVersion: 1,
      packs: {
        '42': rec('42'),
        'acme.frozen': frozen,
        'acme.é': { ...rec('acme.é'), dependencies: { 'acme.a': '^1.0.0 || "2"' }, source: 'line\nbreak' },
      },
    },
    {
      schemaVersion: 1,
      packs: { 'acme.frozen': frozen },
      extra: { note: [1, { a: null }] },
      gone: undefined,
    } as unknown as InstallState,
    // a key that is not its record's id (a hand edit) is written as it stands, not from the record's kept text
    { schemaVersion: 1, packs: { other: frozen } },
  ];
  for (const s of [...states, ...states]) {
    assert.equal(installStateBytes(s).toString('utf8'), JSON.stringify(s, null, 2) + '\n');
  }
  // what is written is what is read back
  const root = await tempDir();
  for (const id of ['acme.a', 'acme.b'])
    await updateInstallState(root, async () => ({ put: rec(id), result: undefined }));
  const state = await readInstallState(root);
  assert.equal(await readFile(join(root, 'installed.json'), 'utf8'), JSON.stringify(state, null, 2) + '\n');
});

test("the install root's sweep removes a dead process's installed.json temp file, staging and trash, and keeps a live one's", async () => {
  const root = await tempDir();
  const dead = spawnSync('true').pid;
  const names = [
    `.installed.json.tmp-${dead}-0a1b2c3d4e5f`,
    `.staging-${dead}-0a1b2c3d4e5f`,
    `.trash-${dead}-0a1b2c3d4e5f`,
    `.installed.json.tmp-${process.pid}-0a1b2c3d4e5f`,
    'installed.json',
  ];
  for (const n of names) await writeFile(join(root, n), '{}');
  await removeDeadScratch(root);
  assert.deepEqual((await readdir(root)).sort(), [`.installed.json.tmp-${process.pid}-0a1b2c3d4e5f`, 'installed.json']);
});
