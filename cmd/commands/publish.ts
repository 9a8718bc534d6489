import { join } from 'node:path';
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
import { countFlag, wholeNumber } from '../whole-number.js';

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
      'on each node, then scrydon reconcile (or reconcile --locked: exactly the published lock)',
    ],
    [
      'scrydon publish registry.site:5000/packs --prune --keep-locks 3',
      'also delete from the registry what the store no longer holds, unless one of the newest 3 locks pins it',
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
          .option('tag', { type: 'string', default: 'catalog', describe: "the generated catalog's tag" })
          .option('prune', {
            type: 'boolean',
            default: false,
            describe: 'delete from the registry the packs the store no longer holds (never what a kept lock pins)',
          })
          .option('keep-locks', {
            type: 'string',
            default: '3',
            describe: 'with --prune: the published locks kept (and honoured) per catalog tag',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const keepLocks = wholeNumber(args['keep-locks'], '--keep-locks');
    const store = await ctx.store();
    const site = parseSitePrefix(args.prefix);
    const signKey = args['sign-key'] !== undefined ? await loadSigningKey(args['sign-key'], ctx) : undefined;
    const upstreamKeys = await sourceKeys(ctx);
    const onEvent = ctx.progress();
    const r = await withRemote(args, ctx, [site.registry], (remote) =>
      publish(remote, store, args.prefix, {
        concurrency: countFlag(args.concurrency, '--concurrency'),
        signal: ctx.signal,
        tag: args.tag,
        trustDir: ctx.paths.trust,
        catalogMemo: join(ctx.paths.state, 'publish-catalogs.json'),
        upstreamKeys,
        ...(signKey ? { signKey } : {}),
        ...(args.prune ? { prune: { keepLocks } } : {}),
        ...(onEvent ? { onEvent } : {}),
      }),
    );
    for (const u of r.unverified)
      ctx.warn(
        `${u}: nothing verified it here; the catalog says signature none (nodes requiring signatures refuse it)`,
      );
    const p = r.pruned;
    if (p && p.notDeleted.length > 0)
      ctx.warn(
        `the registry refused to delete (no delete API: distribution needs storage.delete.enabled); left out of the catalog but still in the registry: ${p.notDeleted.join(', ')}`,
      );
    const lines = r.packs.map(
      (p) => `published ${p.id} ${p.version} -> ${p.reference.replace(/@.*/, '')} ${shortDigest(p.digest)}`,
    );
    for (const d of p?.deleted ?? [])
      lines.push(`pruned ${d.id} ${d.version} ${shortDigest(d.digest)} from ${d.reference}`);
    for (const k of p?.pinned ?? [])
      lines.push(
        `kept ${k.id} ${k.version} ${shortDigest(k.digest)} in the registry: pinned by ${k.pinnedBy.join(', ')}`,
      );
    for (const t of p?.expiredLocks ?? []) lines.push(`deleted expired lock ${t}`);
    lines.push(
      `catalog ${r.catalog.reference}@${r.catalog.digest}${r.catalog.unchanged ? ' (unchanged)' : ''}`,
      `lock ${r.lock.reference}${r.lock.unchanged ? ' (unchanged)' : ''}`,
      `${r.packs.length} pack(s): ${transferSummary(r)}`,
    );
    return { data: r, text: lines.join('\n') };
  },
});
