#!/usr/bin/env node
import { helpWidth } from './cli-text.js';
import { Context, type GlobalArgs } from './context.js';
import type { CommandDef } from './define-command.js';
import { fastRoute } from './fast-argv.js';
import { applyHeapPolicy } from '../src/heap-policy.js';
import { fastPaths, setFastPaths } from '../src/fast-paths.js';
import { ScrydonError } from '../src/errors.js';
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

// `scrydon ls | head`: a reader that stops early is not an error, as for cat or git; stop quietly, no stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

// SCRYDON_FAST_PATHS=0: every fast twin of a plain path takes the plain one (src/fast-paths.ts)
if (process.env.SCRYDON_FAST_PATHS === '0') setFastPaths(false);

let debug = process.argv.includes('--debug');
const QUIET: GlobalArgs = { json: false, quiet: true, debug: false, color: false };
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

function fail(e: unknown, home?: string): void {
  const { text, exitCode } = errorLines(e, debug, home);
  process.stderr.write(text);
  process.exitCode = exitCode;
}

/** Runs a parsed command line: the command's result rendered, its error as one line, the exit code set. */
async function execute(def: CommandDef<unknown>, args: Record<string, unknown>): Promise<void> {
  const g = args as unknown as GlobalArgs;
  debug = g.debug;
  finishesStep = def.finishesStep === true;
  if (def.heap !== undefined) applyHeapPolicy(def.heap);
  let ctx: Context | undefined;
  try {
    ctx = new Context(g, controller.signal); // an invalid --timeout / SCRYDON_TIMEOUT is a usage error
    const result = await def.run(args as never, ctx);
    ctx.finishProgress();
    await render(result, g);
    if (result.exitCode) process.exitCode = result.exitCode;
    if (result.error !== undefined) fail(result.error, ctx.paths.home);
  } catch (e) {
    ctx?.finishProgress();
    fail(ctx ? ctx.failure(e) : e, ctx?.paths.home);
  }
}

/** Runs the command line: only the named command is loaded; yargs only for what the fast parser leaves (help, usage errors). */
async function main(argv: readonly string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === '--version') {
    // what scripts ask first; yargs would load every command to answer it
    process.stdout.write(`${(await import('../src/config/assets.js')).packageVersion()}\n`);
    return;
  }
  if (argv[0] === '__complete') {
    // the completion scripts' call back (hidden): as fast as help, no command module and no yargs
    const { completeLine } = await import('./fast-lines.js');
    return void process.stdout.write(await completeLine(argv.slice(1), new Context(QUIET, controller.signal).paths));
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    // a plain help request: from the build's command manifest, with no command module and no yargs
    const text = (await import('./fast-lines.js')).fastHelp(argv, helpWidth(process.stdout.columns));
    if (text !== undefined) return void process.stdout.write(`${text}\n`);
  }
  const defs = await commandsFor(argv);
  const fast = fastPaths() ? fastRoute(argv, defs) : undefined;
  if (fast) return execute(fast.def, fast.args);
  try {
    await (await import('./yargs-cli.js')).parseWithYargs(argv, defs, execute);
  } catch (e) {
    fail(e);
  }
}

// not a top-level await: a lazily loaded chunk that imports from this one would wait for it forever
let settled = false;
main(process.argv.slice(2))
  .catch(fail)
  .finally(() => {
    settled = true;
  });
process.on('beforeExit', () => {
  // the event loop ran dry (not process.exit(): help and usage errors end that way) while the command was still
  // waiting on a promise nothing will settle: say so and fail, never exit 0
  if (settled) return;
  settled = true;
  fail(new ScrydonError('internal', 'scrydon stopped before the command finished'));
});
