import { resolve } from 'node:path';
import { spoolToFile } from '../../src/archive/spool.js';
import { loadArchive } from '../../src/verbs/load.js';
import { ScrydonError } from '../../src/errors.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest } from '../output/render.js';
import { walkLimitsFromEnv } from '../walk-limits.js';

export default defineCommand({
  heap: ['slow-old', 'capped-young'],
  command: 'load [file]',
  describe: "Load a tar archive (scrydon save's, or skopeo's oci-archive) into the store, all or nothing",
  examples: [
    ['scrydon load fraud.tar', 'load an archive file (or: scrydon load -i fraud.tar)'],
    ['ssh host scrydon save acme.fraud:1.2.0 -o - | scrydon load', 'load from stdin'],
  ],
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'archive file, or - (the default) for stdin' })
      .option('input', { alias: 'i', type: 'string', describe: 'archive file, or - for stdin (as docker load -i)' }),
  run: async (args, ctx) => {
    if (args.file !== undefined && args.input !== undefined && args.file !== args.input)
      throw new ScrydonError('usage', `two archives given: ${args.file} and -i ${args.input}`, {
        hint: 'name one archive: scrydon load FILE',
      });
    const input = args.file ?? args.input;
    const store = await ctx.store();
    const fromStdin = input === undefined || input === '-';
    if (fromStdin && process.stdin.isTTY) {
      throw new ScrydonError('usage', 'no archive given', {
        hint: 'pass FILE, or pipe an archive into scrydon load',
      });
    }
    const spooled = fromStdin ? await spoolToFile(process.stdin, ctx.paths.tmp, { signal: ctx.signal }) : undefined;
    try {
      const onEvent = ctx.progress();
      const r = await loadArchive(store, spooled?.path ?? resolve(input as string), {
        signal: ctx.signal,
        walkLimits: walkLimitsFromEnv(ctx),
        origin: fromStdin ? 'standard input' : resolve(input as string),
        ...(onEvent ? { onEvent } : {}),
      });
      const data = {
        refs: r.refs,
        untagged: r.untagged,
        blobs: r.copied,
        existing: r.skipped,
        bytes: r.bytes,
        referrers: r.referrers,
        receipts: r.receipts,
      };
      const lines = [
        ...r.refs.map((x) => `loaded ${x.ref} (${shortDigest(x.digest)})`),
        ...r.untagged.map((d) => `loaded ${shortDigest(d)} (untagged)`),
        `${r.copied} blob(s), ${humanBytes(r.bytes)} new; ${r.skipped} already present`,
        ...(r.receipts
          ? [`${r.receipts} receipt(s) of verifications elsewhere, kept as carried (not verified here)`]
          : []),
      ];
      return { data, text: lines.join('\n') };
    } finally {
      await spooled?.remove();
    }
  },
});
