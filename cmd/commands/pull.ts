import { parseRemoteReference } from '../../src/names/remote.js';
import { foreignTransport, withoutRegistryScheme } from '../../src/names/transports.js';
import { pull } from '../../src/verbs/pull.js';
import { defineCommand } from '../define-command.js';
import { concurrencyFlag, registryFlags, withRemote, REGISTRY_EPILOG } from '../registry-options.js';
import { shortDigest } from '../output/render.js';
import { transferSummary } from '../transfer-summary.js';
import { walkLimitsFromEnv } from '../walk-limits.js';
import { countFlag } from '../whole-number.js';

export default defineCommand({
  command: 'pull <ref>',
  describe: 'Copy an artifact (and its signatures) from a registry into the store, under its remote name',
  examples: [
    ['scrydon pull ghcr.io/acme/fraud:1.2.0', 'stored as ghcr.io/acme/fraud:1.2.0'],
    ['scrydon pull 127.0.0.1:5000/acme/fraud:1.2.0 --plain-http', 'from a local test registry'],
    ['scrydon pull ghcr.io/acme/fraud@sha256:3f1c…', 'by digest'],
    ['scrydon pull docker://ghcr.io/acme/fraud:1.2.0', "skopeo's docker:// form is accepted"],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    concurrencyFlag(
      registryFlags(
        y.positional('ref', { type: 'string', demandOption: true, describe: 'REGISTRY/REPOSITORY[:TAG|@DIGEST]' }),
      ),
    ),
  run: async (args, ctx) => {
    const foreign = foreignTransport(args.ref, 'scrydon pull');
    if (foreign) throw foreign;
    const refText = withoutRegistryScheme(args.ref); // docker://REF, as skopeo writes it
    const ref = parseRemoteReference(refText);
    const store = await ctx.store();
    const onEvent = ctx.progress();
    const r = await withRemote(args, ctx, [ref.registry], (remote) =>
      pull(remote, store, refText, {
        concurrency: countFlag(args.concurrency, '--concurrency'),
        signal: ctx.signal,
        walkLimits: walkLimitsFromEnv(ctx),
        ...(onEvent ? { onEvent } : {}),
      }),
    );
    const data = {
      tag: r.tag,
      source: r.source,
      digest: r.root.digest,
      mediaType: r.root.mediaType,
      size: r.root.size,
      copied: r.copied,
      skipped: r.skipped,
      bytes: r.bytes,
      referrers: r.referrers,
    };
    return { data, text: `pulled ${r.tag} ${shortDigest(r.root.digest)}: ${transferSummary(r)}` };
  },
});
