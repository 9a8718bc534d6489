import { resolve } from 'node:path';
import { listInstalled } from '../../src/install/uninstall.js';
import { defineCommand } from '../define-command.js';
import { shortDigest, table } from '../output/render.js';

export default defineCommand({
  command: 'installed',
  describe: 'List installed packs (id, version, digest, source, status, time)',
  examples: [
    ['scrydon installed', 'a table'],
    ['scrydon installed --json', 'the install records as JSON'],
  ],
  builder: (y) => y.option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' }),
  run: async (args, ctx) => {
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    const packs = await listInstalled(root);
    const text = packs.length
      ? table(
          ['ID', 'VERSION', 'DIGEST', 'SOURCE', 'STATUS', 'INSTALLED'],
          packs.map((p) => [p.id, p.version, shortDigest(p.digest), p.source, p.status, p.installedAt]),
        )
      : `no packs installed in ${root}`;
    return { data: { root, packs }, text };
  },
});
