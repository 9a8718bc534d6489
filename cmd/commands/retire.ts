import { findRecord, readInstallState } from '../../src/install/state.js';
import { retirePack } from '../../src/reconcile/lifecycle.js';
import { invalidateRevision } from '../../src/reconcile/source-state.js';
import { isSourceName } from '../../src/sources/source-name.js';
import { resolve } from 'node:path';
import { defineCommand } from '../define-command.js';

export default defineCommand({
  command: 'retire <id>',
  describe:
    'Hide an installed pack. A source whose scrydon.yaml still lists it restores it on its next run (the source catalog wins); a manually installed one stays retired',
  examples: [
    ['scrydon retire acme.fraud', 'hide it'],
    ['scrydon installed', 'its status is now retired'],
  ],
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'pack id' })
      .option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' }),
  run: async (args, ctx) => {
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    const before = findRecord(await readInstallState(root), args.id);
    const change = await retirePack(root, args.id);
    const source = before?.source;
    const managed = source !== undefined && source !== 'manual' && isSourceName(source);
    // the next run of its source must look at the whole catalog again, or an unchanged catalog would skip the restore
    if (managed) await invalidateRevision(ctx.paths, source);
    const record = change?.record ?? before;
    const note = managed ? `; source ${source} restores it on its next run while its catalog lists it` : '';
    const text = change ? `retired ${args.id} ${change.record.version}${note}` : `${args.id} is already retired${note}`;
    return { data: { record, changed: Boolean(change), managedBy: managed ? source : null }, text };
  },
});
