import { listStore } from '../../src/pack/list.js';
import { defineCommand } from '../define-command.js';
import { humanBytes } from '../output/progress.js';
import { shortDigest, table } from '../output/render.js';

export default defineCommand({
  command: 'ls',
  describe: 'List what the store holds: ref, pack id, version, digest, size, created',
  examples: [
    ['scrydon ls', 'every tag'],
    ['scrydon ls --id acme.fraud', 'only one pack id'],
    ['scrydon ls --json | jq -r ".[].ref"', 'refs for a script'],
  ],
  builder: (y) => y.option('id', { type: 'string', describe: 'only packs with this id' }),
  run: async (args, ctx) => {
    const entries = await listStore(await ctx.store(), {
      signal: ctx.signal,
      remember: true,
      ...(args.id ? { id: args.id } : {}),
    });
    // under --json only the data is printed: no table of 10,000 rows to build
    if (ctx.global.json) return { data: entries };
    const rows = entries.map((e) => [
      e.ref,
      e.id ?? '-',
      e.version ?? '-',
      shortDigest(e.digest),
      humanBytes(e.size),
      e.created ?? '-',
    ]);
    return {
      data: entries,
      text: entries.length ? table(['REF', 'ID', 'VERSION', 'DIGEST', 'SIZE', 'CREATED'], rows) : 'the store is empty',
    };
  },
});
