import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { homePaths } from '../../src/config/paths.js';
import { isScrydonError } from '../../src/errors.js';
import {
  appendRun,
  listSources,
  parseRuns,
  readRuns,
  runLine,
  runsPath,
  type RunRecord,
} from '../../src/reconcile/history.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

function run(source: string, n: number, extra: Partial<RunRecord> = {}): RunRecord {
  const at = new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();
  return {
    runId: `run-${n}`,
    source,
    trigger: 'manual',
    startedAt: at,
    endedAt: at,
    revision: `sha256:${String(n).padStart(64, '0')}`,
    outcome: 'success',
    unsignedAllowed: false,
    packs: [{ id: 'acme.fraud', version: `1.${n}.0`, digest: `sha256:${'a'.repeat(64)}`, outcome: 'installed' }],
    ...extra,
  };
}

after(cleanupTemps);

describe('run history (state/<source>/runs.jsonl)', () => {
  test('appends and reads back newest first, with a limit', async () => {
    const paths = homePaths(await tempDir());
    for (const n of [1, 3, 2]) await appendRun(paths, run('prod', n));
    const runs = await readRuns(paths, 'prod');
    assert.deepEqual(
      runs.map((r) => r.runId),
      ['run-3', 'run-2', 'run-1'],
    );
    assert.deepEqual(
      (await readRuns(paths, 'prod', { limit: 2 })).map((r) => r.runId),
      ['run-3', 'run-2'],
    );
    assert.deepEqual(runs[0], run('prod', 3));
  });

  test('each line is <sha256 of the JSON>\\t<JSON>', async () => {
    const paths = homePaths(await tempDir());
    await appendRun(paths, run('prod', 1));
    const lines = (await readFile(runsPath(paths, 'prod'), 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const [hash, json] = (lines[0] as string).split('\t');
    assert.match(hash ?? '', /^[a-f0-9]{64}$/);
    assert.deepEqual(JSON.parse(json ?? ''), run('prod', 1));
  });

  test('torn, edited and malformed lines are dropped; the rest survive', async () => {
    const paths = homePaths(await tempDir());
    await appendRun(paths, run('prod', 1));
    const file = runsPath(paths, 'prod');
    const good = runLine(run('prod', 2));
    await appendFile(file, good.slice(0, 40)); // a torn append (killed writer)
    await appendRun(paths, run('prod', 3)); // its leading newline isolates it from the torn line
    const edited = runLine(run('prod', 4)).replace('"success"', '"failed"');
    await appendFile(file, edited);
    const wrongShape = JSON.stringify({ runId: 'x' });
    await appendFile(file, `\n${'0'.repeat(64)}\t${wrongShape}\n`);
    await appendFile(file, 'garbage\n\n\t\n');
    assert.deepEqual(
      (await readRuns(paths, 'prod')).map((r) => r.runId),
      ['run-3', 'run-1'],
    );
  });

  test('a line with a valid hash but the wrong shape is dropped', () => {
    const json = JSON.stringify({ ...run('prod', 1), trigger: 'cron' });
    const line = `${createHash('sha256').update(json).digest('hex')}\t${json}`;
    assert.deepEqual(parseRuns(line), []);
  });

  test('concurrent appends from many writers all land (no lock)', async () => {
    const paths = homePaths(await tempDir());
    await Promise.all(Array.from({ length: 40 }, (_, i) => appendRun(paths, run('prod', i))));
    assert.equal((await readRuns(paths, 'prod')).length, 40);
  });

  test('listSources names the sources with a history; readRuns of an unknown source is empty', async () => {
    const paths = homePaths(await tempDir());
    assert.deepEqual(await listSources(paths), []);
    await appendRun(paths, run('zeta', 1));
    await appendRun(paths, run('alpha', 1));
    await mkdir(join(paths.state, 'empty'), { recursive: true });
    await writeFile(join(paths.state, 'not-a-dir'), 'x');
    assert.deepEqual(await listSources(paths), ['alpha', 'zeta']);
    assert.deepEqual(await readRuns(paths, 'nobody'), []);
  });

  test('source names cannot leave the state directory; bad records are refused', async () => {
    const paths = homePaths(await tempDir());
    await assert.rejects(readRuns(paths, '../etc'), (e) => isScrydonError(e, 'usage'));
    await assert.rejects(appendRun(paths, run('../x', 1)), (e) => isScrydonError(e, 'usage'));
    await assert.rejects(appendRun(paths, { ...run('prod', 1), outcome: 'maybe' } as unknown as RunRecord), (e) =>
      isScrydonError(e, 'internal'),
    );
  });
});
