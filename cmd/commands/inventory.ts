import { resolve } from 'node:path';
import { encodeInventory, storeInventory } from '../../src/verbs/inventory.js';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { defineCommand } from '../define-command.js';

export default defineCommand({
  command: 'inventory',
  describe: 'List the digests of every blob in the store, for an air-gap delta (save --exclude-inventory)',
  examples: [
    ['scrydon inventory -o inventory.json', 'on the receiving machine; carry the file to the sender'],
    ['scrydon save acme.fraud:1.3.0 --exclude-inventory inventory.json -o delta.tar', 'then, on the sender'],
  ],
  builder: (y) => y.option('output', { alias: 'o', type: 'string', describe: 'write to this file instead of stdout' }),
  run: async (args, ctx) => {
    const inv = await storeInventory(await ctx.store());
    if (args.output === undefined || args.output === '-') return { data: inv, text: encodeInventory(inv) };
    const file = resolve(args.output);
    await writeFileAtomic(file, encodeInventory(inv));
    return { data: { file, blobs: inv.digests.length }, text: `wrote ${inv.digests.length} digest(s) to ${file}` };
  },
});
