import { checkStore } from '../../src/store/check.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest, table } from '../output/render.js';

export default defineCommand({
  heap: ['fixed-young'],
  command: 'check',
  describe: 'Rehash every blob and validate every manifest and tag; exit 1 on any fault',
  examples: [
    ['scrydon check', 'verify the whole store'],
    ['scrydon check --json | jq .faults', 'faults as data'],
  ],
  builder: (y) => y,
  run: async (_args, ctx) => {
    const report = await checkStore(await ctx.store());
    const head = `${report.blobs} blob(s), ${humanBytes(report.bytes)}, ${report.tags} tag(s): ${report.ok ? 'ok' : `${report.faults.length} fault(s)`}`;
    const text = report.ok
      ? head
      : `${table(
          ['FAULT', 'DIGEST', 'TAG', 'DETAIL'],
          report.faults.map((f) => [f.kind, shortDigest(f.digest), f.ref ?? '', f.detail]),
        )}\n${head}`;
    return { data: report, text, exitCode: report.ok ? 0 : 1 };
  },
});
