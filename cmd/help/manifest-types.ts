/**
 * The command manifest: what --help, shell completion and the man pages need to know about every command,
 * recorded at build time from the command definitions (describe-commands.ts) so that none of them loads a
 * command module or yargs at run time.
 */
export interface HelpOption {
  name: string;
  aliases: string[];
  describe?: string;
  type?: 'boolean' | 'string' | 'number';
  array?: boolean;
  required?: boolean;
  choices?: unknown[];
  default?: unknown;
}

export interface HelpCommand {
  /** The yargs command string: `pull <ref>`, `add <name>`. */
  command: string;
  describe: string;
  positionals: HelpOption[];
  options: HelpOption[];
  examples: Array<[string, string]>;
  epilog?: string;
  subcommands?: HelpCommand[];
}

export interface HelpManifest {
  version: string;
  /** The top-level usage line and paragraph, and the closing line of the top-level help. */
  usage: string;
  epilogue: string;
  /** The options of every command (--json, --quiet, …, then yargs' own --help and --version). */
  globals: HelpOption[];
  commands: HelpCommand[];
}

/** The first word of a command string: `pull` of `pull <ref>`. */
export function verbOf(c: HelpCommand): string {
  return c.command.split(' ')[0] ?? '';
}
