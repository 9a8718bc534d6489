#!/usr/bin/env node
import { Context, type GlobalArgs } from './context.js';
import type { CommandDef } from './define-command.js';
import { fastRoute } from './fast-argv.js';
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
// --debug stack traces name the TypeScript sources, not the bundle's chunks
if (debug) process.setSourceMapsEnabled(true);

/**
 * Loads only the command being run so start-up does not pay for every module; top-level help, an unknown verb
 * or no verb loads them all (yargs needs the whole list to list or suggest).
 */
async function commandsFor(argv: readonly string[]): Promise<ReadonlyArray<CommandDef<unknown>>> {
  const { allCommands, loadCommand } = await import('./commands/index.js');
  const verb = argv.find((a) => !a.startsWith('-'));
  const def = verb === undefined ? undefined : await loadCommand(verb);
  return def ? [def] : allCommands();
}

function fail(e: unknown): void {
  const { text, exitCode } = errorLines(e, debug);
  process.stderr.write(text);
  process.exitCode = exitCode;
}

/** Runs a parsed command line: the command's result rendered, its error as one line, the exit code set. */
async function execute(def: CommandDef<unknown>, args: Record<string, unknown>): Promise<void> {
  const g = args as unknown as GlobalArgs;
  debug = g.debug;
  finishesStep = def.finishesStep === true;
  const ctx = new Context(g, controller.signal);
  try {
    const result = await def.run(args as never, ctx);
    ctx.finishProgress();
    render(result, g);
    if (result.exitCode) process.exitCode = result.exitCode;
  } catch (e) {
    ctx.finishProgress();
    fail(e);
  }
}

const argv = process.argv.slice(2);
const defs = await commandsFor(argv);
const fast = fastRoute(argv, defs);
if (fast) await execute(fast.def, fast.args);
else {
  try {
    await (await import('./yargs-cli.js')).parseWithYargs(argv, defs, execute);
  } catch (e) {
    fail(e);
  }
}
