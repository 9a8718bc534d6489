import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import { complete, FILES, POSITIONAL_KINDS, type Names } from '../../cmd/completion/complete.js';
import { describeCommands } from '../../cmd/help/describe-commands.js';
import type { HelpCommand } from '../../cmd/help/manifest-types.js';
import { packageVersion } from '../../src/config/assets.js';

const m = describeCommands(await allCommands(), packageVersion());
const names: Names = {
  refs: async () => ['acme.core:1.0.0', 'acme.fraud:1.2.0'],
  sources: async () => ['acme', 'beta'],
};

function positionals(commands: readonly HelpCommand[], parent: readonly string[] = []): string[] {
  return commands.flatMap((c) => {
    const [verb = '', ...slots] = c.command.split(' ');
    const path = [...parent, verb];
    return [
      ...slots.map((s) => `${path.join(' ')} ${s.replace(/[<>[\].]/g, '')}`),
      ...positionals(c.subcommands ?? [], path),
    ];
  });
}

test('every positional completion knows names a positional some command has', () => {
  const all = new Set(positionals(m.commands));
  assert.deepEqual(
    Object.keys(POSITIONAL_KINDS).filter((k) => !all.has(k)),
    [],
  );
});

test('completion skips flag values and takes sub-commands and variadic positionals into account', async () => {
  assert.deepEqual(await complete(m, ['save', '-o', 'x.tar', 'acme.c'], names), ['acme.core:1.0.0']);
  assert.deepEqual(await complete(m, ['save', 'acme.core:1.0.0', 'acme.f'], names), ['acme.fraud:1.2.0']);
  assert.deepEqual(await complete(m, ['tag', 'acme.core:1.0.0', ''], names), []); // the new name: anything
  assert.deepEqual(await complete(m, ['source', 'history', 'b'], names), ['beta']);
  assert.deepEqual(await complete(m, ['save', '--output', ''], names), [FILES]);
  assert.deepEqual(await complete(m, ['--json', 'pul'], names), [
    'pull\tCopy an artifact (and its signatures) from a registry into the store, under its remote name',
  ]);
  assert.deepEqual(
    await complete(m, ['pull', '-'], names).then(
      (l) => l.includes('-q\tprint nothing but errors') && l.includes('--concurrency\tblobs moved at once'),
    ),
    true,
  );
});
