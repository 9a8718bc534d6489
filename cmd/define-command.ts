import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from './context.js';
import type { HeapPolicy } from '../src/heap-policy.js';

/** What a command returns: the data --json prints, and how to show it to a person. */
export interface CommandResult {
  data: unknown;
  /** Human output for stdout; omitted under --quiet and --json. */
  text?: string;
  /** What --quiet prints instead of nothing: `ls -q`, one reference per line (as docker's `-q` prints IDs). */
  quietText?: string;
  /** Non-zero for commands that report a failure as data (check finding faults). */
  exitCode?: number;
  /** Reported after the result is shown, as if thrown (its `error[code]` line and exit code): inspect of a refused pack. */
  error?: unknown;
}

export interface CommandDef<A> {
  /** yargs command string, e.g. 'tag <src> <target>'. */
  command: string;
  describe: string;
  examples: ReadonlyArray<readonly [string, string]>;
  /** A paragraph under the examples in --help (e.g. the environment the command reads). */
  epilog?: string;
  /** The command's positionals and flags, declared on yargs' builder (cmd/fast-argv.ts reads the same calls). */
  builder: (y: Argv) => Argv<A>;
  /** Does the work and returns its data (printed as JSON under --json) and text; never prints or exits itself. */
  run: (args: A & GlobalArgs, ctx: Context) => Promise<CommandResult>;
  /**
   * On SIGINT/SIGTERM the command finishes the step in progress and stops by itself (reconcile), however long
   * that step takes: no hard exit 5 s after the signal (a second signal still ends the process at once).
   */
  finishesStep?: boolean;
  /**
   * How V8's heap should grow for this command (src/heap-policy.ts), chosen by measurement (scripts/bench scale
   * and reconcile): `fixed-young` for a command that holds one parsed index and makes only short-lived garbage
   * besides (ls, gc, save, check); `slow-old` and `capped-young` for one with many objects in flight at once,
   * whose garbage reaches the old generation and whose young generation V8 would grow to 2 × 16 MiB (reconcile,
   * load). Absent: V8's defaults.
   */
  heap?: readonly HeapPolicy[];
  /** Sub-commands (e.g. `source add`); when given, `run` is not used. */
  subcommands?: ReadonlyArray<CommandDef<unknown>>;
}

/** Identity function that exists for inference: a command's args are typed from its builder. */
export function defineCommand<A>(def: CommandDef<A>): CommandDef<A> {
  return def;
}
