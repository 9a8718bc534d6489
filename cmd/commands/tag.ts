import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { storeName } from '../store-name.js';

export default defineCommand({
  command: 'tag <source> <target>',
  describe: 'Give a stored artifact another name (like docker tag)',
  examples: [
    ['scrydon tag acme.fraud:1.2.0 acme.fraud:stable', 'add a moving tag'],
    ['scrydon tag sha256:3f1c… registry.example.com/packs/fraud:1.2.0', 'name a digest for a later push'],
  ],
  builder: (y) =>
    y
      .positional('source', { type: 'string', demandOption: true, describe: 'existing tag, digest, or ID:VERSION' })
      .positional('target', { type: 'string', demandOption: true, describe: 'new tag' }),
  run: async (args, ctx) => {
    const store = await ctx.store();
    const d = await store.resolve(await storeName(ctx, args.source));
    await store.tag(d, args.target);
    return {
      data: { source: args.source, target: args.target, digest: d.digest },
      text: `tagged ${args.target} -> ${shortDigest(d.digest)}`,
    };
  },
});
