import { resolve } from 'node:path';
import { uninstallPack } from '../../src/install/uninstall.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';

export default defineCommand({
  command: 'uninstall <id>',
  describe: 'Remove an installed pack (its directory and its record)',
  examples: [
    ['scrydon uninstall acme.fraud', 'remove the installed version of acme.fraud'],
    ['scrydon uninstall acme.fraud --root /srv/packs', 'from another install root'],
  ],
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'pack id, e.g. acme.fraud' })
      .option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' }),
  run: async (args, ctx) => {
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    const removed = await uninstallPack(root, args.id);
    return {
      data: { root, removed },
      text: `uninstalled ${removed.id} ${removed.version} (${shortDigest(removed.digest)})`,
    };
  },
});
