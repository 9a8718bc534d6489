import { ScrydonError } from '../../src/errors.js';
import { parseRemoteReference, pushAllTarget } from '../../src/names/remote.js';
import { withoutRegistryScheme, foreignTransport } from '../../src/names/transports.js';
import { push, pushAll } from '../../src/verbs/push.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { concurrencyFlag, registryFlags, withRemote, REGISTRY_EPILOG } from '../registry-options.js';
import { transferData, transferSummary } from '../transfer-summary.js';
import { storeName } from '../store-name.js';
import { countFlag } from '../whole-number.js';

export default defineCommand({
  command: 'push <ref> [target]',
  describe: 'Copy a stored artifact (and its signatures) to a registry; with --all, the whole store under a prefix',
  examples: [
    ['scrydon push ghcr.io/acme/fraud:1.2.0', 'back to where its name says'],
    ['scrydon push acme.fraud:1.2.0 registry.example.com/packs/fraud:1.2.0', 'under another name'],
    ['scrydon push --all registry.internal:5000/mirror', 'every tag, as mirror/<name>:<tag>'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    concurrencyFlag(
      registryFlags(
        y
          .positional('ref', {
            type: 'string',
            demandOption: true,
            describe: 'ID:VERSION, store tag or digest (with --all: the target PREFIX)',
          })
          .positional('target', { type: 'string', describe: 'REGISTRY/REPOSITORY[:TAG]; default: REF itself' })
          .option('all', {
            type: 'boolean',
            default: false,
            describe: 'push every tag of the store under the prefix REF',
          }),
      ),
    ),
  run: async (args, ctx) => {
    for (const given of [args.ref, args.target]) {
      const foreign = given === undefined ? undefined : foreignTransport(given, 'scrydon push');
      if (foreign) throw foreign;
    }
    const ref = withoutRegistryScheme(args.ref); // docker://REF, as skopeo writes it
    const targetRef = args.target === undefined ? undefined : withoutRegistryScheme(args.target);
    const store = await ctx.store();
    const onEvent = ctx.progress();
    const io = {
      concurrency: countFlag(args.concurrency, '--concurrency'),
      signal: ctx.signal,
      ...(onEvent ? { onEvent } : {}),
    };
    if (args.all) {
      if (targetRef !== undefined)
        throw new ScrydonError('usage', '--all takes one argument, the PREFIX', {
          hint: 'scrydon push --all REGISTRY/PREFIX',
        });
      const registry = parseRemoteReference(pushAllTarget(ref, 'any:tag')).registry; // the prefix's registry
      const r = await withRemote(args, ctx, [registry], (remote) => pushAll(remote, store, ref, io));
      const lines = r.entries.map((e) => `pushed ${e.source} -> ${e.target} ${shortDigest(e.digest)}`);
      lines.push(`${r.entries.length} tag(s): ${transferSummary(r)}`);
      return { data: r, text: lines.join('\n') };
    }
    const source = await storeName(ctx, ref);
    // REF is the default target only as written: a pack named by ID:VERSION says nothing of where to push it
    if (targetRef === undefined && source !== ref)
      throw new ScrydonError('usage', `${args.ref} names no registry; say where to push it`, {
        hint: `scrydon push ${args.ref} REGISTRY/REPOSITORY:TAG`,
      });
    const target = parseRemoteReference(targetRef ?? source);
    const r = await withRemote(args, ctx, [target.registry], (remote) => push(remote, store, source, targetRef, io));
    const data = transferData(r);
    return { data, text: `pushed ${r.source} -> ${r.target} ${shortDigest(r.root.digest)}: ${transferSummary(r)}` };
  },
});
