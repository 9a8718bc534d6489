import type { Argv } from 'yargs';
import { EPILOGUE, USAGE } from '../cli-text.js';
import type { CommandDef } from '../define-command.js';
import { aliasesOf, GLOBAL_OPTIONS, SpecRecorder, type OptionSpec } from '../fast-argv.js';
import type { HelpCommand, HelpManifest, HelpOption } from './manifest-types.js';

const TYPES = new Set(['boolean', 'string', 'number']);

function helpOption(name: string, spec: OptionSpec): HelpOption {
  const o: HelpOption = { name, aliases: aliasesOf(spec) };
  if (spec.describe !== undefined) o.describe = spec.describe;
  if (TYPES.has(spec.type as string)) o.type = spec.type as HelpOption['type'];
  if (spec.array) o.array = true;
  if (spec.demandOption) o.required = true;
  if (spec.choices) o.choices = [...spec.choices];
  if (spec.default !== undefined) o.default = spec.default;
  return o;
}

/** What a command declares, as help shows it: its builder run against a recorder, not yargs. */
function describeCommand(def: CommandDef<unknown>): HelpCommand {
  const rec = new SpecRecorder();
  def.builder(rec as unknown as Argv);
  const c: HelpCommand = {
    command: def.command,
    describe: def.describe,
    positionals: [...rec.positionals].map(([n, s]) => helpOption(n, s)),
    options: [...rec.options].map(([n, s]) => helpOption(n, s)),
    examples: def.examples.map(([cmd, what]) => [cmd, what]),
  };
  if (def.epilog) c.epilog = def.epilog;
  if (def.subcommands) c.subcommands = def.subcommands.map(describeCommand);
  return c;
}

/** The options yargs adds to every command (yargs-cli.ts: .help(), .alias('help', 'h'), .version()). */
const YARGS_OPTIONS: HelpOption[] = [
  { name: 'help', aliases: ['h'], describe: 'Show help', type: 'boolean' },
  { name: 'version', aliases: [], describe: 'Show version number', type: 'boolean' },
];

/** The manifest of every command (build time: scripts/gen-help.ts; tests compare it with yargs' help). */
export function describeCommands(defs: ReadonlyArray<CommandDef<unknown>>, version: string): HelpManifest {
  return {
    version,
    usage: USAGE,
    epilogue: EPILOGUE,
    globals: [...GLOBAL_OPTIONS.map(([n, s]) => helpOption(n, s)), ...YARGS_OPTIONS],
    commands: defs.map(describeCommand),
  };
}
