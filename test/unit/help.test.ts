import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import type { CommandDef } from '../../cmd/define-command.js';
import { describeCommands } from '../../cmd/help/describe-commands.js';
import { manifest } from '../../cmd/help/manifest.js';
import type { HelpCommand } from '../../cmd/help/manifest-types.js';
import { renderHelp } from '../../cmd/help/render-help.js';
import { yargsCli } from '../../cmd/yargs-cli.js';
import { packageVersion } from '../../src/config/assets.js';

/** yargs' own help for `path --help` at `width` (what the CLI printed before the manifest's help). */
async function yargsHelp(
  defs: ReadonlyArray<CommandDef<unknown>>,
  path: readonly string[],
  width: number,
): Promise<string> {
  const argv = [...path, '--help'];
  const cli = yargsCli(
    argv,
    defs,
    async () => {},
    (msg) => assert.fail(`usage error for ${argv.join(' ')}: ${msg}`),
    width,
  ).exitProcess(false);
  return new Promise((resolve, reject) => {
    cli.parse(argv, {}, (err, _args, output) => (err ? reject(err) : resolve(output)));
  });
}

function paths(commands: readonly HelpCommand[], parent: readonly string[] = []): string[][] {
  return commands.flatMap((c) => {
    const p = [...parent, c.command.split(' ')[0] ?? ''];
    return [p, ...paths(c.subcommands ?? [], p)];
  });
}

test('the manifest help of every command (and sub-command) is yargs help, at several widths', async () => {
  const defs = await allCommands();
  const m = describeCommands(defs, packageVersion());
  const all = [[], ...paths(m.commands)];
  assert.ok(all.some((p) => p.join(' ') === 'source add'));
  for (const width of [100, 110, 80, 60, 40, 73, 91, 107]) {
    for (const path of all) {
      assert.equal(
        renderHelp(m, path, width),
        await yargsHelp(defs, path, width),
        `scrydon ${path.join(' ')} --help at ${width} columns`,
      );
    }
  }
});

test('the built manifest is the one the command definitions give (npm run build regenerates it)', async () => {
  assert.ok(manifest, 'dist/cmd/help/manifest.js is the stub: run npm run build (tsc alone does not generate it)');
  assert.deepEqual(manifest, JSON.parse(JSON.stringify(describeCommands(await allCommands(), packageVersion()))));
});

test('a path that names no command has no manifest help (yargs answers it)', () => {
  assert.ok(manifest);
  assert.equal(renderHelp(manifest, ['pul'], 100), undefined);
  assert.equal(renderHelp(manifest, ['pull', 'extra'], 100), undefined);
});
