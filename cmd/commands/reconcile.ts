import { resolve } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import type { RunRecord } from '../../src/reconcile/history.js';
import { reconcileSources } from '../../src/reconcile/reconcile-sources.js';
import type { RunOptions } from '../../src/reconcile/run-source.js';
import { selectSources } from '../../src/reconcile/registration.js';
import { readSourceState } from '../../src/reconcile/source-state.js';
import { watch } from '../../src/reconcile/watch.js';
import { sleep } from '../../src/sleep.js';
import { loadTrustRoot } from '../../src/signature/trust-store.js';
import { openSession } from '../../src/sources/open-session.js';
import type { Source } from '../../src/sources/source-spec.js';
import { defineCommand } from '../define-command.js';
import { reconcileFailure, runLine, runsText } from '../source-views.js';
import { sessionDeps } from '../source-runtime.js';
import { countFlag } from '../whole-number.js';

export default defineCommand({
  heap: ['slow-old', 'capped-young'],
  command: 'reconcile [sources..]',
  finishesStep: true,
  describe:
    "Mirror each source's scrydon.yaml catalog into the store, verify under the source's policy, and install — online or from the store alone",
  examples: [
    ['scrydon reconcile', 'every enabled source, once; exits 1 if any failed'],
    ['scrydon reconcile acme --force --json', 'one source even if its catalog is unchanged; the run records as JSON'],
    ['scrydon reconcile --mirror-only && scrydon save --all -o airgap.tar', 'connected side of an air gap'],
    ['scrydon load -i airgap.tar && scrydon reconcile --offline', 'air-gapped side: no network call at all'],
    ['scrydon reconcile -f sources.yaml', 'sources declared in a file, without registering them'],
    ['scrydon reconcile --watch', 'every source on its interval, backing off after three failures'],
  ],
  builder: (y) =>
    y
      .positional('sources', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'source names (default: every enabled source)',
      })
      .option('file', {
        alias: 'f',
        type: 'string',
        describe: 'reconcile the sources declared in this file (same format as sources.yaml), read-only',
      })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'run even if the catalog revision is the one last reconciled',
      })
      .option('mirror-only', {
        type: 'boolean',
        default: false,
        describe: 'fill the store (and verify); install nothing',
      })
      .option('offline', {
        type: 'boolean',
        default: false,
        describe: 'no network call: use the catalogs and artifacts already in the store',
      })
      .option('locked', {
        type: 'boolean',
        default: false,
        describe: "install exactly the digests of each source's lock, or fail",
      })
      .option('watch', {
        type: 'boolean',
        default: false,
        describe:
          'keep running each source on its interval until SIGINT/SIGTERM (which finish the step in progress; a second one stops at once)',
      })
      .option('wait', {
        type: 'boolean',
        default: true,
        describe: 'wait for another reconcile of this store (--no-wait fails fast)',
      })
      .option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' })
      .option('concurrency', {
        type: 'number',
        describe: 'packs mirrored, verified and installed at once (default: 8 packed or installed, 4 pulled)',
      }),
  run: async (args, ctx) => {
    if (args.watch && (args.locked || args['mirror-only']))
      throw new ScrydonError('usage', '--watch runs sources as registered; drop --locked / --mirror-only');
    const concurrency = args.concurrency === undefined ? undefined : countFlag(args.concurrency, '--concurrency');
    const store = await ctx.store();
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    const trust = await loadTrustRoot(ctx.paths.trust);
    const runOptions = (trigger: RunOptions['trigger']): RunOptions => ({
      trigger,
      force: args.force,
      mirrorOnly: args['mirror-only'],
      offline: args.offline,
      locked: args.locked,
      stop: ctx.signal,
      concurrency,
    });
    const run = (sources: Source[], trigger: RunOptions['trigger']): Promise<RunRecord[]> =>
      reconcileSources(
        sources,
        {
          paths: ctx.paths,
          store,
          root,
          trust,
          wait: args.wait,
          signal: ctx.signal,
          onWait: () => ctx.info('another reconcile holds this store; waiting for it'),
          open: async (s) => openSession(s, { store, ...(await sessionDeps(ctx, s)) }, { offline: args.offline }),
        },
        runOptions(trigger),
      );
    const trigger = args.file !== undefined ? 'file' : args.watch ? 'watch' : 'manual';
    if (!args.watch) {
      const sources = await selectSources(ctx.paths, args.sources, args.file);
      if (sources.length === 0) return { data: [], text: 'no enabled sources to reconcile (scrydon source add …)' };
      const records = await run(sources, trigger);
      const failure = reconcileFailure(records);
      const note = args.file !== undefined ? `sources managed by file ${args.file} (read-only)\n` : '';
      return { data: records, text: note + runsText(records), ...(failure ? { error: failure } : {}) };
    }
    ctx.info(
      `watching ${args.file ?? ctx.paths.sources}; SIGINT or SIGTERM finishes the current step and exits (a second one stops at once)`,
    );
    const runs = await watch({
      load: () => selectSources(ctx.paths, args.sources, args.file),
      state: (name) => readSourceState(ctx.paths, name),
      runOne: async (s) => (await run([s], trigger))[0],
      now: () => Date.now(),
      sleep: (ms, stop) => sleep(ms, stop),
      stop: ctx.signal,
      // each run as it ends: a JSON line under --json, nothing under --quiet, else a summary line
      onRun: (r) => {
        if (args.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (!args.quiet) process.stdout.write(`${runLine(r)}\n`);
      },
    });
    return { data: { watched: true, runs }, text: `stopped after ${runs} run(s)` };
  },
});
