#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Context, type GlobalArgs } from './context.js';
import type { CommandDef } from './define-command.js';
import { errorLines } from './output/error-line.js';
import { render } from './output/render.js';

const controller = new AbortController();
/** Set by a command that finishes its step on a signal (CommandDef.finishesStep). */
let finishesStep = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    controller.abort();
    // a second signal, or a copy that does not stop, ends the process the hard way
    process.once(sig, () => process.exit(130));
    if (!finishesStep) setTimeout(() => process.exit(130), 5000).unref();
  });
}

let debug = process.argv.includes('--debug');

/**
 * Loads only the command being run (cmd/commands/<verb>.js) so start-up does not pay for every module;
 * top-level help, an unknown verb or no verb loads them all (yargs needs the whole list to list or suggest).
 */
async function commandsFor(argv: readonly string[]): Promise<ReadonlyArray<CommandDef<unknown>>> {
  const verb = argv.find((a) => !a.startsWith('-'));
  if (verb && /^[a-z]+$/.test(verb) && verb !== 'index') {
    try {
      const mod = (await import(`./commands/${verb}.js`)) as { default?: CommandDef<unknown> };
      if (mod.default && mod.default.command.split(' ')[0] === verb) return [mod.default];
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  return (await import('./commands/index.js')).commands;
}

function fail(e: unknown): void {
  const { text, exitCode } = errorLines(e, debug);
  process.stderr.write(text);
  process.exitCode = exitCode;
}

function register(y: Argv, def: CommandDef<unknown>): Argv {
  return y.command(
    def.command,
    def.describe,
    (b: Argv) => {
      let built = def.builder(b) as Argv;
      for (const [cmd, what] of def.examples) built = built.example(cmd, what);
      for (const sub of def.subcommands ?? []) built = register(built, sub);
      if (def.subcommands) built = built.demandCommand(1, 'name a sub-command (see --help)');
      return built;
    },
    async (argv) => {
      const g = argv as unknown as GlobalArgs;
      debug = g.debug;
      finishesStep = def.finishesStep === true;
      const ctx = new Context(g, controller.signal);
      try {
        const result = await def.run(argv as never, ctx);
        ctx.finishProgress();
        render(result, g);
        if (result.exitCode) process.exitCode = result.exitCode;
      } catch (e) {
        ctx.finishProgress();
        fail(e);
      }
    },
  );
}

let cli: Argv = yargs(hideBin(process.argv))
  .scriptName('scrydon')
  .usage('$0 <command> [options]\n\nA local-first catalog of packs stored and moved as OCI artifacts.')
  .option('json', { type: 'boolean', default: false, describe: 'print machine-readable JSON on stdout' })
  .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' })
  .option('debug', { type: 'boolean', default: false, describe: 'show stack traces on errors' })
  .option('color', { type: 'boolean', default: true, describe: 'colour on a TTY (NO_COLOR also turns it off)' })
  .strict()
  .demandCommand(1, 'name a command (see --help)')
  .recommendCommands()
  .help()
  .alias('help', 'h')
  .version()
  .wrap(Math.min(110, process.stdout.columns || 100))
  .epilogue('Files live under $SCRYDON_HOME (default ~/.scrydon). Docs: README.md, catalog-spec/.')
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`error[usage]: ${msg}\nhint: run scrydon --help (or scrydon <command> --help)\n`);
    process.exit(2);
  }) as unknown as Argv;

for (const def of await commandsFor(hideBin(process.argv))) cli = register(cli, def);

try {
  await cli.parseAsync();
} catch (e) {
  fail(e);
}
