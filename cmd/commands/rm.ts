import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';

export default defineCommand({
  command: 'rm <refs..>',
  describe: 'Remove tags from the store (content stays until scrydon gc)',
  examples: [
    ['scrydon rm acme.fraud:1.1.0', 'untag one version'],
    ['scrydon rm acme.fraud:1.1.0 acme.fraud:stable && scrydon gc', 'untag two, then free the space'],
  ],
  builder: (y) => y.positional('refs', { type: 'string', array: true, demandOption: true, describe: 'tags to remove' }),
  run: async (args, ctx) => {
    const store = await ctx.store();
    const removed: Array<{ ref: string; digest: string }> = [];
    for (const ref of args.refs) removed.push({ ref, digest: (await store.untag(ref)).digest });
    return { data: { removed }, text: removed.map((r) => `untagged ${r.ref} (${shortDigest(r.digest)})`).join('\n') };
  },
});
