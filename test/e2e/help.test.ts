import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import { cleanupTemps, scrydon } from '../helpers/cli.js';
import { commandOrYargsChunks, withLoadLog } from '../helpers/load-log.js';

after(cleanupTemps);

const verbs = (await allCommands()).map((c) => c.command.split(' ')[0] ?? '');

for (const line of [['--help'], ['pull', '--help'], ['source', 'add', '--help'], ['source', '-h']]) {
  test(`scrydon ${line.join(' ')} loads neither yargs nor a command module, and prints what yargs prints`, async () => {
    const fast = await withLoadLog(line);
    assert.equal(fast.code, 0, fast.stderr);
    assert.deepEqual(commandOrYargsChunks(fast.files, verbs), [], `loaded: ${fast.files.join(' ')}`);
    assert.equal(
      fast.files.length,
      3,
      `the version-check entry, main and one chunk (manifest, help, completion); loaded: ${fast.files.join(' ')}`,
    );
    // another flag on the line sends it down the yargs path: the same text
    const viaYargs = await withLoadLog([...line, '--quiet']);
    assert.ok(
      viaYargs.files.some((f) => f.startsWith('yargs')),
      `the yargs path loaded: ${viaYargs.files.join(' ')}`,
    );
    assert.equal(viaYargs.code, 0);
    assert.equal(fast.stdout, viaYargs.stdout);
  });
}

test('usage errors and mistyped commands stay on the yargs path (exit 2)', async () => {
  const r = await scrydon(['pull', 'a/b:1', '--bogus']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error\[usage\]: unknown option --bogus for scrydon pull\nhint: see scrydon pull --help/);
  const s = await scrydon(['pul']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /Did you mean pull\?/); // yargs' suggestion
});
