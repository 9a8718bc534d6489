import { parseDuration } from '../../src/config/units.js';
import { gc } from '../../src/store/gc.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest } from '../output/render.js';

export default defineCommand({
  command: 'gc',
  describe: 'Delete blobs no tag reaches (signatures of kept packs, and what running writers hold, stay)',
  examples: [
    ['scrydon gc --dry-run', 'show what would be freed'],
    ['scrydon gc --grace 0', 'collect at once (what running writers hold under their leases stays)'],
    ['scrydon gc --json', 'a report with bytes freed and each step timed'],
  ],
  builder: (y) =>
    y.option('dry-run', { type: 'boolean', default: false, describe: 'report only; delete nothing' }).option('grace', {
      type: 'string',
      default: '10m',
      describe: 'also keep unreachable blobs younger than this (leased blobs are kept whatever the grace)',
    }),
  run: async (args, ctx) => {
    const report = await gc(await ctx.store(), {
      dryRun: args['dry-run'],
      graceMs: parseDuration(args.grace, '--grace'),
      tempDirs: [ctx.paths.tmp],
    });
    const verb = report.dryRun ? 'would free' : 'freed';
    const lines = report.removed.map(
      (r) => `${report.dryRun ? 'would delete' : 'deleted'} ${shortDigest(r.digest)} ${humanBytes(r.size)}`,
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
    return { data: report, text: lines.join('\n') };
  },
});
