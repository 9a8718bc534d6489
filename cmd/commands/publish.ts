import { parseSitePrefix } from '../../src/names/site.js';
import { parsePublicKey, type PublicKeyInfo } from '../../src/signature/keys.js';
import { publish } from '../../src/site/publish.js';
import { readSourceList } from '../../src/sources/sources-file.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { concurrencyFlag, registryFlags, withRemote, REGISTRY_EPILOG } from '../registry-options.js';
import { loadSigningKey } from '../signature-options.js';
import { transferSummary } from '../transfer-summary.js';
import type { Context } from '../context.js';

/** The public keys of the registered cosign-key sources: what a generated catalog may name for key-signed packs. */
async function sourceKeys(ctx: Context): Promise<PublicKeyInfo[]> {
  const { sources } = await readSourceList(ctx.paths.sources);
  return sources.flatMap((s) =>
    s.signaturePolicy.kind === 'cosign-key' ? [parsePublicKey(s.signaturePolicy.publicKey, `source ${s.name}`)] : [],
  );
}

export default defineCommand({
  command: 'publish <prefix>',
  describe:
    'Publish the store into a site registry: every pack with its signatures, the trusted root, receipts and a catalog nodes reconcile from',
  examples: [
    ['scrydon publish registry.site:5000/packs', 'packs at packs/ID:VERSION, the catalog at packs/catalog:catalog'],
    [
      'scrydon publish registry.site:5000/packs --sign-key site.key',
      "the site's signature beside each original; nodes trust site.pub alone",
    ],
    [
      'scrydon source add site --type oci --url registry.site:5000/packs/catalog --signature-policy cosign-key --public-key site.pub',
      'on each node, then scrydon reconcile',
    ],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    concurrencyFlag(
      registryFlags(
        y
          .positional('prefix', { type: 'string', demandOption: true, describe: 'REGISTRY/PREFIX' })
          .option('sign-key', {
            type: 'string',
            describe: "the site's private key (path or env://NAME): sign every pack the store verified",
          })
          .option('tag', { type: 'string', default: 'catalog', describe: "the generated catalog's tag" }),
      ),
    ),
  run: async (args, ctx) => {
    const store = await ctx.store();
    const site = parseSitePrefix(args.prefix);
    const signKey = args['sign-key'] !== undefined ? await loadSigningKey(args['sign-key'], ctx) : undefined;
    const upstreamKeys = await sourceKeys(ctx);
    const onEvent = ctx.progress();
    const r = await withRemote(args, ctx, [site.registry], (remote) =>
      publish(remote, store, args.prefix, {
        concurrency: args.concurrency,
        signal: ctx.signal,
        tag: args.tag,
        trustDir: ctx.paths.trust,
        upstreamKeys,
        ...(signKey ? { signKey } : {}),
        ...(onEvent ? { onEvent } : {}),
      }),
    );
    for (const u of r.unverified)
      ctx.warn(
        `${u}: nothing verified it here; the catalog says signature none (nodes requiring signatures refuse it)`,
      );
    const lines = r.packs.map(
      (p) => `published ${p.id} ${p.version} -> ${p.reference.replace(/@.*/, '')} ${shortDigest(p.digest)}`,
    );
    lines.push(
      `catalog ${r.catalog.reference}@${r.catalog.digest}${r.catalog.unchanged ? ' (unchanged)' : ''}`,
      `${r.packs.length} pack(s): ${transferSummary(r)}`,
    );
    return { data: r, text: lines.join('\n') };
  },
});
