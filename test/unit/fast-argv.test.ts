import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allCommands } from '../../cmd/commands/index.js';
import type { CommandDef } from '../../cmd/define-command.js';
import { fastRoute } from '../../cmd/fast-argv.js';
import { parseWithYargs } from '../../cmd/yargs-cli.js';

/** Every command and sub-command with its path of words (`['source', 'add']`). */
function walk(
  defs: ReadonlyArray<CommandDef<unknown>>,
  parent: string[] = [],
): Array<{ path: string[]; def: CommandDef<unknown> }> {
  return defs.flatMap((def) => {
    const path = [...parent, def.command.split(' ')[0] ?? ''];
    return def.subcommands ? walk(def.subcommands, path) : [{ path, def }];
  });
}

/** Splits an example line as a shell would for the plain cases the examples use (quotes, no expansions). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The command line of an example: from `scrydon` up to a pipe or `&&`. */
function exampleArgv(example: string): string[] | undefined {
  const w = words(example);
  const at = w.indexOf('scrydon');
  if (at < 0) return undefined;
  const rest = w.slice(at + 1);
  const end = rest.findIndex((x) => x === '|' || x === '&&' || x === '>' || x === ';');
  return end < 0 ? rest : rest.slice(0, end);
}

/** What yargs makes of `argv`: the arguments object the command would run with, or the usage error. */
async function viaYargs(argv: string[]): Promise<{ args?: Record<string, unknown>; usage?: string }> {
  let args: Record<string, unknown> | undefined;
  try {
    await parseWithYargs(
      argv,
      commands,
      async (_def, a) => {
        args = { ...a };
      },
      (msg) => {
        throw new Error(`usage: ${msg}`);
      },
    );
  } catch (e) {
    return { usage: (e as Error).message };
  }
  return args ? { args } : { usage: 'no command ran' };
}

/** What main.ts's fast path makes of `argv`, with the verb's command loaded as main.ts loads it. */
function fastFor(argv: string[]): Record<string, unknown> | undefined {
  const verb = argv.find((a) => !a.startsWith('-'));
  const def = commands.find((c) => c.command.split(' ')[0] === verb);
  return fastRoute(argv, def ? [def] : commands)?.args;
}

const commands = await allCommands();
const all = walk(commands);

test('the fast path gives exactly the arguments yargs gives, for every example of every command', async (t) => {
  let compared = 0;
  for (const { def } of all) {
    for (const [example] of def.examples) {
      const argv = exampleArgv(example);
      if (!argv) continue;
      for (const variant of [argv, [...argv, '--json'], ['-q', ...argv], [...argv, '--no-color', '--debug']]) {
        const fast = fastFor(variant);
        const slow = await viaYargs(variant);
        if (fast === undefined) continue; // left to yargs: nothing to compare
        assert.deepEqual(fast, slow.args, `scrydon ${variant.join(' ')}`);
        compared++;
      }
    }
  }
  t.diagnostic(`${compared} command lines compared`);
  // most example lines must take the fast path, or it saves nothing
  assert.ok(compared >= all.length * 2, `only ${compared} lines took the fast path`);
});

test('tricky lines: the fast path agrees with yargs or leaves the line to it', async () => {
  const fastLines = [
    'pull 127.0.0.1:5000/a/b:1 --concurrency=8 --plain-http',
    'pull 127.0.0.1:5000/a/b:1 --concurrency 2 --referrers tag',
    '--json ls',
    'save a b -o out.tar --no-dependencies',
    'build dir -t a:1 -t b:2',
    'build dir --tag a:1 b:2',
    'push a:1 127.0.0.1:5000/x/y:1 -u alice --password-stdin',
    'rm a:1 b:2 c:3',
    'reconcile',
    'reconcile one two --offline',
    'source add demo --url file:///tmp/repo',
    'key generate --dir /tmp/k',
  ];
  for (const line of fastLines) {
    const argv = line.split(' ');
    const slow = await viaYargs(argv);
    const fast = fastFor(argv);
    if (slow.usage) {
      assert.equal(fast, undefined, `${line}: yargs says ${slow.usage}, the fast path must leave it`);
      continue;
    }
    assert.notEqual(fast, undefined, `${line} should take the fast path`);
    assert.deepEqual(fast, slow.args, line);
  }
  const leftToYargs = [
    'pull a/b:1 --bogus',
    'pull a/b:1 extra',
    'pull',
    'pull a/b:1 --json --json',
    'pull a/b:1 --referrers nope',
    'pull a/b:1 -qj',
    'pull a/b:1 --concurrency abc',
    'pull a/b:1 --concurrency -1',
    'pull a/b:1 --json false',
    'pull a/b:1 --help',
    'pull a/b:1 -- x',
    'build --tag a:1 dir',
    'rm',
    'save a',
    'source',
    'source nope',
    // yargs reads these differently from a plain left-to-right parse (found in review)
    'save a --output -',
    'save a -o -',
    'load --input -',
    'build dir -t a:1 -',
    'validate -',
    'rm -',
    'pull a/b:1 help',
    'uninstall help',
    '--dry-run gc',
    'key --force generate',
    'pull a/b:1 --ca-file="x"',
    'pull a/b:1 --concurrency 0x10',
  ];
  for (const line of leftToYargs) assert.equal(fastFor(line.split(' ')), undefined, line);
});
