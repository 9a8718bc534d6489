import { resolve } from 'node:path';
import { isScrydonError, ScrydonError } from '../../src/errors.js';
import { storePolicyAdmission } from '../../src/install/admission.js';
import { approveWaiting } from '../../src/reconcile/approve-waiting.js';
import { approvePack } from '../../src/reconcile/lifecycle.js';
import { defineCommand } from '../define-command.js';

export default defineCommand({
  command: 'approve <pack>',
  describe:
    'Activate a pack that a reconcile left pending-review (installed unsigned, or not installed for want of a required attestation): the explicit review the reference asks for',
  examples: [['scrydon approve acme.core@1.0.0', 'after reviewing it']],
  builder: (y) =>
    y
      .positional('pack', { type: 'string', demandOption: true, describe: 'ID@VERSION' })
      .option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' }),
  run: async (args, ctx) => {
    const at = args.pack.lastIndexOf('@');
    if (at <= 0 || at === args.pack.length - 1)
      throw new ScrydonError('usage', `"${args.pack}" is not ID@VERSION`, {
        hint: 'scrydon approve acme.core@1.0.0 (scrydon installed lists them)',
      });
    const id = args.pack.slice(0, at);
    const version = args.pack.slice(at + 1);
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    const policy = {
      store: await ctx.store(),
      admission: storePolicyAdmission({ policyFile: ctx.paths.policy, trustDir: ctx.paths.trust }),
    };
    let change;
    try {
      change = await approvePack(root, id, version, policy);
    } catch (e) {
      // not installed: a pack a run left waiting for a required attestation is installed now, by this review
      if (!isScrydonError(e, 'not_installed')) throw e;
      const w = await approveWaiting(ctx.paths, root, id, version, { ...policy, signal: ctx.signal });
      if (!w) throw e;
      return {
        data: { id, version, changed: true, status: 'active', source: w.source, digest: w.result.record.digest },
        text: `approved ${id} ${version}: installed from source ${w.source} (${w.result.record.digest}), active`,
      };
    }
    return {
      data: { id, version, changed: Boolean(change), status: 'active' },
      text: change ? `approved ${id} ${version}: active` : `${id} ${version} is already active`,
    };
  },
});
