import { resolve } from 'node:path';
import { storePolicyAdmission } from '../../src/install/admission.js';
import { installPack } from '../../src/install/install.js';
import { setStatuses } from '../../src/reconcile/lifecycle.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { policyFile } from '../registry-policy.js';
import { storeName } from '../store-name.js';

export default defineCommand({
  command: 'install <ref>',
  describe: 'Install a stored pack into the install root as <id>/<version>/ (atomically, in installOrder)',
  examples: [
    ['scrydon install acme.fraud:1.2.0', 'install into $SCRYDON_HOME/packs'],
    ['scrydon install acme.fraud:1.2.0 --root /srv/packs', 'install somewhere else'],
    ['scrydon install acme.fraud:1.2.0 --no-deps', 'install without checking its dependencies'],
  ],
  builder: (y) =>
    y
      .positional('ref', {
        type: 'string',
        demandOption: true,
        describe: 'ID:VERSION, tag or digest in the local store',
      })
      .option('root', { type: 'string', describe: 'install root (default $SCRYDON_HOME/packs)' })
      .option('deps', {
        type: 'boolean',
        default: true,
        describe:
          "check pack.json's dependencies against the installed packs (install them first); --no-deps skips the check",
      }),
  run: async (args, ctx) => {
    const root = args.root ? resolve(args.root) : ctx.paths.packs;
    // the security policy (policy.yaml) decides whether an unverified pack may be installed; installPack applies it
    const admission = storePolicyAdmission({ policyFile: policyFile(ctx), trustDir: ctx.paths.trust });
    const { warnings, ...r } = await installPack(await ctx.store(), await storeName(ctx, args.ref), {
      root,
      source: 'manual',
      signal: ctx.signal,
      admission,
      ignoreDependencies: !args.deps,
    });
    for (const w of warnings) ctx.warn(w);
    // an explicit install is the review: a pack a reconcile left pending-review (or retired) becomes active
    if (r.record.status !== 'active') {
      await setStatuses(root, (rec) =>
        rec.id === r.record.id && rec.digest === r.record.digest ? 'active' : undefined,
      );
      r.record = { ...r.record, status: 'active' };
    }
    const { id, version, digest } = r.record;
    const text =
      r.action === 'unchanged'
        ? `${id} ${version} (${shortDigest(digest)}) is already installed in ${r.dir}; nothing to do`
        : `installed ${id} ${version} (${shortDigest(digest)}) in ${r.dir}` +
          (r.previous ? `, replacing ${r.previous.version} (${shortDigest(r.previous.digest)})` : '') +
          `\ninstall order: ${r.record.contents.map((c) => `${c.kind}:${c.path}`).join(', ')}`;
    return { data: { ...r, root }, text };
  },
});
