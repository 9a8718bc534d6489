import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import type { CommandDef } from '../../cmd/define-command.js';
import { have, ROOT } from '../helpers/cli.js';

const MAN = join(ROOT, 'dist', 'man', 'man1');

function pagesOf(defs: ReadonlyArray<CommandDef<unknown>>, parent: readonly string[] = []): string[] {
  return defs.flatMap((d) => {
    const path = [...parent, d.command.split(' ')[0] ?? ''];
    return [`scrydon-${path.join('-')}.1`, ...pagesOf(d.subcommands ?? [], path)];
  });
}

test('the build makes a man page for scrydon and every command and sub-command, and package.json lists them all', async () => {
  const expected = ['scrydon.1', ...pagesOf(await allCommands())].sort();
  assert.ok(expected.includes('scrydon-source-add.1') && expected.includes('scrydon-pull.1'));
  assert.deepEqual((await readdir(MAN)).sort(), expected);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { man: string[]; files: string[] };
  assert.deepEqual(
    [...pkg.man].sort(),
    expected.map((p) => `dist/man/man1/${p}`),
    'package.json "man" (what npm install -g links) must list every page',
  );
  assert.ok(pkg.files.includes('dist/man'));
});

test(
  'every page renders with groff without a warning',
  { skip: !have('groff') && 'groff is not installed (scripts/test-setup installs it)' },
  async () => {
    for (const page of await readdir(MAN)) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(MAN, page)], { encoding: 'utf8' });
      assert.deepEqual([r.status, r.stderr], [0, ''], page);
    }
  },
);

test(
  'man -l shows scrydon-pull(1) with its sections, options and examples',
  { skip: !have('man') && 'man is not installed (scripts/test-setup installs it)' },
  () => {
    const r = spawnSync('man', ['-l', join(MAN, 'scrydon-pull.1')], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', PAGER: 'cat' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXAMPLES', 'ENVIRONMENT', 'SEE ALSO'])
      assert.match(r.stdout, new RegExp(`^${s}$`, 'm'));
    assert.match(r.stdout, /scrydon-pull - Copy an artifact/);
    assert.match(r.stdout, /--plain-http/);
    assert.match(r.stdout, /scrydon pull ghcr\.io\/acme\/fraud:1\.2\.0/);
    assert.match(r.stdout, /HTTPS_PROXY/);
  },
);
