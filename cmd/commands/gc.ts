import { parseDuration } from '../../src/config/units.js';
import { listStore } from '../../src/pack/list.js';
import { retentionPins } from '../../src/reconcile/retention-pins.js';
import { gc } from '../../src/store/gc.js';
import { planKeepVersions, type PackVersion } from '../../src/store/gc-keep-versions.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest } from '../output/render.js';
import { wholeNumber } from '../whole-number.js';

function versionLine(v: PackVersion, dryRun: boolean): string {
  const what = `${v.id} ${v.version} ${shortDigest(v.digest)}`;
  if (v.keptBecause.length > 0) return `keep ${what}: ${v.keptBecause.join(', ')}`;
  return `${dryRun ? 'would untag' : 'untagged'} ${what}: ${v.refs.join(', ')}`;
}

export default defineCommand({
  heap: ['fixed-young'],
  command: 'gc',
  describe: 'Delete blobs no tag reaches (signatures of kept packs, and what running writers hold, stay)',
  examples: [
    ['scrydon gc --dry-run', 'show what would be freed'],
    ['scrydon gc --grace 0', 'collect at once (what running writers hold under their leases stays)'],
    ['scrydon gc --json', 'a report with bytes freed and each step timed'],
    [
      'scrydon gc --keep-versions 2 --dry-run',
      'per pack id, which versions go and why each kept one stays (newest 2, installed, locked)',
    ],
  ],
  builder: (y) =>
    y
      .option('dry-run', { type: 'boolean', default: false, describe: 'report only; delete nothing' })
      .option('grace', {
        type: 'string',
        default: '10m',
        describe: 'also keep unreachable blobs younger than this (leased blobs are kept whatever the grace)',
      })
      .option('keep-versions', {
        type: 'string',
        describe:
          'untag all but the newest N versions of each pack id first (installed and locked versions always stay)',
      }),
  run: async (args, ctx) => {
    const keep =
      args['keep-versions'] !== undefined ? wholeNumber(args['keep-versions'], '--keep-versions') : undefined;
    const graceMs = parseDuration(args.grace, '--grace');
    const store = await ctx.store();
    const plan =
      keep !== undefined
        ? planKeepVersions(await listStore(store), keep, await retentionPins(ctx.paths, ctx.paths.packs))
        : undefined;
    const report = await gc(store, {
      dryRun: args['dry-run'],
      graceMs,
      tempDirs: [ctx.paths.tmp],
      ...(plan ? { untag: plan.dropped.flatMap((v) => v.refs.map((ref) => ({ ref, digest: v.digest }))) } : {}),
    });
    const verb = report.dryRun ? 'would free' : 'freed';
    const lines = plan ? plan.versions.map((v) => versionLine(v, report.dryRun)) : [];
    lines.push(
      ...report.removed.map(
        (r) => `${report.dryRun ? 'would delete' : 'deleted'} ${shortDigest(r.digest)} ${humanBytes(r.size)}`,
      ),
    );
    lines.push(
      `${verb} ${humanBytes(report.freedBytes)} in ${report.removed.length} blob(s); ${report.reachableBlobs} reachable kept` +
        (report.keptYoung ? `, ${report.keptYoung} younger than --grace kept` : '') +
        (report.keptLeased ? `, ${report.keptLeased} held by running writers kept` : '') +
        (report.expiredLeases
          ? `, ${report.expiredLeases} lease(s) of ended processes ${report.dryRun ? 'found' : 'removed'}`
          : '') +
        (report.cleanedTemp ? `, ${report.cleanedTemp} stale temp file(s) cleaned` : ''),
    );
    return { data: plan ? { ...report, versions: plan.versions } : report, text: lines.join('\n') };
  },
});
