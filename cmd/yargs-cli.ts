import yargs, { type Argv } from 'yargs';
import { packageVersion } from '../src/config/assets.js';
import type { CommandDef } from './define-command.js';
import { EPILOGUE, helpWidth, USAGE } from './cli-text.js';
import { GLOBAL_OPTIONS } from './fast-argv.js';
import { explainUsage } from './habits.js';

type Execute = (def: CommandDef<unknown>, args: Record<string, unknown>) => Promise<void>;

function register(y: Argv, def: CommandDef<unknown>, execute: Execute): Argv {
  return y.command(
    def.command,
    def.describe,
    (b: Argv) => {
      let built = def.builder(b) as Argv;
      for (const [cmd, what] of def.examples) built = built.example(cmd, what);
      if (def.epilog) built = built.epilog(def.epilog);
      for (const sub of def.subcommands ?? []) built = register(built, sub, execute);
      if (def.subcommands) built = built.demandCommand(1, 'name a sub-command (see --help)');
      return built;
    },
    (args) => execute(def, args),
  );
}

const USAGE_HINT = 'run scrydon --help (or scrydon <command> --help)';

function usageExit(msg: string, hint = USAGE_HINT): never {
  process.stderr.write(`error[usage]: ${msg}\nhint: ${hint}\n`);
  process.exit(2);
}

/** The yargs instance for a command line (parseWithYargs runs it; tests ask it for its help at a given width). */
export function yargsCli(
  argv: readonly string[],
  defs: ReadonlyArray<CommandDef<unknown>>,
  execute: Execute,
  onUsage: (msg: string, hint?: string) => void = usageExit,
  width = helpWidth(process.stdout.columns),
): Argv {
  let cli = yargs([...argv])
    .locale('en') // every other message is English; the bundle cannot find yargs' translations anyway
    .scriptName('scrydon')
    .usage(USAGE) as unknown as Argv;
  for (const [name, spec] of GLOBAL_OPTIONS) cli = cli.option(name, spec);
  cli = cli
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(packageVersion()) // yargs would look for package.json from the bundle's place or the working directory
    .wrap(width)
    .epilogue(EPILOGUE)
    .fail((msg, err) => {
      if (err) throw err;
      const better = explainUsage(argv, defs);
      if (better) onUsage(better.message, better.hint);
      else onUsage(msg);
    }) as unknown as Argv;
  for (const def of defs) cli = register(cli, def, execute);
  return cli;
}

/**
 * The full command line through yargs: help, --version, usage errors (exit 2), suggestions for a mistyped
 * command, and any line the fast path (fast-argv.ts) does not take. Loaded only then.
 */
export async function parseWithYargs(
  argv: readonly string[],
  defs: ReadonlyArray<CommandDef<unknown>>,
  execute: Execute,
  onUsage = usageExit,
): Promise<void> {
  await yargsCli(argv, defs, execute, onUsage).parseAsync();
}
