import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import { BIN, cleanupTemps, FIXTURES, have, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { commandOrYargsChunks, withLoadLog } from '../helpers/load-log.js';

after(cleanupTemps);

let home = '';
let bin = '';
const scripts: Record<string, string> = {};

before(async () => {
  home = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home });
  await ok(
    [
      'source',
      'add',
      'acme',
      '--type',
      'git',
      '--url',
      'https://git.example/acme/packs.git',
      '--signature-policy',
      'unsigned-allowed',
    ],
    { home },
  );
  // `scrydon` on PATH, as the scripts call it back
  bin = await tempDir();
  await writeFile(
    join(bin, 'scrydon'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
  );
  await chmod(join(bin, 'scrydon'), 0o755);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const file = join(bin, `completion.${shell}`);
    await writeFile(file, (await ok(['completion', shell])).stdout);
    scripts[shell] = file;
  }
});

function shell(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SCRYDON_HOME: home, NO_COLOR: '1' },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** What bash's completion function offers for COMP_WORDS (the last one being typed), as bash itself calls it. */
function bashComplete(...words: string[]): string[] {
  const script = `source ${scripts.bash}\nCOMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _scrydon_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return shell('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...words])
    .split('\n')
    .filter(Boolean);
}

test('bash: commands, sub-commands, flags, flag values, stored references and source names', () => {
  assert.deepEqual(bashComplete('scrydon', 'pu'), ['pull', 'push', 'publish']);
  assert.deepEqual(bashComplete('scrydon', 'inspect', 'acme.'), ['acme.core:1.0.0', 'acme.fraud:1.2.0']);
  assert.deepEqual(bashComplete('scrydon', 'inspect', 'acme.f'), ['acme.fraud:1.2.0']);
  // bash splits NAME:TAG at the colon; what it replaces is the part after it
  assert.deepEqual(bashComplete('scrydon', 'inspect', 'acme.fraud', ':', ''), ['1.2.0']);
  assert.deepEqual(bashComplete('scrydon', 'inspect', 'acme.fraud', ':', '1'), ['1.2.0']);
  assert.deepEqual(bashComplete('scrydon', 'pull', '--pl'), ['--plain-http']);
  assert.deepEqual(bashComplete('scrydon', 'pull', '--referrers', ''), ['auto', 'api', 'tag']);
  assert.deepEqual(bashComplete('scrydon', 'pull', '--referrers', '=', 'a'), ['auto', 'api']);
  assert.deepEqual(bashComplete('scrydon', 'source', 'rm', ''), ['acme']);
  assert.deepEqual(bashComplete('scrydon', 'source', 'a'), ['add']);
  assert.deepEqual(bashComplete('scrydon', 'reconcile', '--force', 'ac'), ['acme']);
  assert.deepEqual(bashComplete('scrydon', 'completion', ''), []); // a positional with choices: not a ref
  assert.deepEqual(bashComplete('scrydon', 'nosuch', ''), []);
});

test('bash: a path argument completes file names', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'pack-one.txt'), '');
  const script = `source ${scripts.bash}\nCOMP_WORDS=(scrydon build pack-); COMP_CWORD=2; _scrydon_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  assert.deepEqual(shell('bash', ['--norc', '--noprofile', '-c', script], dir).split('\n').filter(Boolean), [
    'pack-one.txt',
  ]);
});

test(
  'zsh: the script parses, and its function offers commands and stored references',
  { skip: !have('zsh') && 'zsh is not installed (scripts/test-setup installs it)' },
  () => {
    shell('zsh', ['-n', scripts.zsh ?? '']);
    const run = (words: string[]) =>
      shell('zsh', [
        '-f',
        '-c',
        `compdef() {}; compadd() { print -rl -- $cands }; _files() { print _files }; source ${scripts.zsh}; words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _scrydon`,
      ])
        .split('\n')
        .filter(Boolean);
    assert.deepEqual(run(['scrydon', 'pu']), ['pull', 'push', 'publish']);
    assert.deepEqual(run(['scrydon', 'inspect', 'acme.f']), ['acme.fraud:1.2.0']);
    assert.deepEqual(run(['scrydon', 'build', '']), ['_files']);
  },
);

test(
  'fish: the script parses, and fish completes commands, stored references and source names with it',
  { skip: !have('fish') && 'fish is not installed (scripts/test-setup installs it)' },
  () => {
    shell('fish', ['-n', scripts.fish ?? '']);
    const run = (line: string) =>
      shell('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C '${line}'`])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    assert.deepEqual(run('scrydon pu'), ['publish', 'pull', 'push']);
    assert.deepEqual(run('scrydon inspect acme.'), ['acme.core:1.0.0', 'acme.fraud:1.2.0']);
    assert.deepEqual(run('scrydon source rm '), ['acme']);
  },
);

test('__complete reads the store without changing it, and loads neither yargs nor a command module', async () => {
  const before = await treeHash(home);
  const r = await withLoadLog(['__complete', 'inspect', 'acme.'], { home });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'acme.core:1.0.0\nacme.fraud:1.2.0\n');
  const verbs = (await allCommands()).map((c) => c.command.split(' ')[0] ?? '');
  assert.deepEqual(commandOrYargsChunks(r.files, verbs), [], `loaded: ${r.files.join(' ')}`);
  assert.equal(r.files.length, 3, `the version-check entry, main and one chunk; loaded: ${r.files.join(' ')}`);
  assert.equal(await treeHash(home), before);
  // no store at all: nothing offered, nothing created, no error
  const empty = await tempDir();
  const e = await scrydon(['__complete', 'inspect', ''], { home: join(empty, 'none') });
  assert.deepEqual([e.code, e.stdout, e.stderr], [0, '', '']);
  assert.equal(await treeHash(empty), await treeHash(await tempDir()));
});

test('completion: --help has examples; an unknown shell is a usage error', async () => {
  const h = await ok(['completion', '--help']);
  assert.match(h.stdout, /Examples:\n {2}scrydon completion bash >/);
  assert.match(h.stdout, /scrydon completion fish >/);
  const r = await scrydon(['completion', 'tcsh']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error\[usage\]: Invalid values/);
});
