import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import { cleanupTemps, scrydon, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

/**
 * Runs the built CLI with a module-loading hook that logs every file Node loads (the bundle's chunks): what a
 * start-up costs is mostly how much code it loads, and that can be asserted where a time cannot.
 */
async function loadedFiles(args: readonly string[]): Promise<{ files: string[]; stdout: string; code: number }> {
  const dir = await tempDir();
  const log = join(dir, 'loaded.txt');
  await writeFile(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`);
  await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  await writeFile(log, '');
  const r = await scrydon(args, { env: { NODE_OPTIONS: `--import=${join(dir, 'register.mjs')}` } });
  const files = (await readFile(log, 'utf8')).split('\n').filter((u) => u.includes('/dist/bin/')).map((u) => basename(u));
  return { files, stdout: r.stdout, code: r.code };
}

const verbs = (await allCommands()).map((c) => c.command.split(' ')[0] ?? '');

for (const line of [['--help'], ['pull', '--help'], ['source', 'add', '--help'], ['source', '-h']]) {
  test(`scrydon ${line.join(' ')} loads neither yargs nor a command module, and prints what yargs prints`, async () => {
    const fast = await loadedFiles(line);
    assert.equal(fast.code, 0);
    const commandChunks = fast.files.filter((f) => verbs.some((v) => f.startsWith(`${v}-`)) || f.startsWith('yargs'));
    assert.deepEqual(commandChunks, [], `loaded: ${fast.files.join(' ')}`);
    assert.ok(fast.files.length <= 3, `loaded: ${fast.files.join(' ')}`);
    // another flag on the line sends it down the yargs path: the same text
    const viaYargs = await loadedFiles([...line, '--quiet']);
    assert.ok(viaYargs.files.some((f) => f.startsWith('yargs')), `the yargs path loaded: ${viaYargs.files.join(' ')}`);
    assert.equal(viaYargs.code, 0);
    assert.equal(fast.stdout, viaYargs.stdout);
  });
}

test('usage errors and mistyped commands stay on the yargs path (exit 2)', async () => {
  const r = await scrydon(['pull', 'a/b:1', '--bogus']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error\[usage\]: Unknown argument: bogus/);
  const s = await scrydon(['pul']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /Did you mean pull\?/); // yargs' suggestion
});
