import { copyLocations } from '../../src/verbs/copy.js';
import { parseLocation, type Location } from '../../src/registry/location.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { concurrencyFlag, registryFlags, withRemote, REGISTRY_EPILOG } from '../registry-options.js';
import { transferData, transferSummary } from '../transfer-summary.js';
import { walkLimitsFromEnv } from '../walk-limits.js';
import { countFlag } from '../whole-number.js';

function registryOf(l: Location): string[] {
  return l.kind === 'remote' ? [l.ref.registry] : [];
}

export default defineCommand({
  command: 'copy <source> <destination>',
  describe: 'Copy an artifact with its referrers between registries, the store and OCI layout directories',
  examples: [
    ['scrydon copy ghcr.io/acme/fraud:1.2.0 registry.internal/acme/fraud:1.2.0', 'registry to registry'],
    ['scrydon copy acme.fraud:1.2.0 oci:./out:fraud-1.2.0', 'store to an OCI layout directory'],
    ['scrydon copy oci:./in:img store:acme.img:1', 'layout directory into the store'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    concurrencyFlag(
      registryFlags(
        y
          .positional('source', {
            type: 'string',
            demandOption: true,
            describe: 'REGISTRY/REPO:TAG, a store tag (or store:REF), or oci:PATH[:REF]',
          })
          .positional('destination', { type: 'string', demandOption: true, describe: 'same forms as the source' }),
      ),
    ),
  run: async (args, ctx) => {
    const src = parseLocation(args.source);
    const dst = parseLocation(args.destination);
    const onEvent = ctx.progress();
    const io = {
      concurrency: countFlag(args.concurrency, '--concurrency'),
      signal: ctx.signal,
      walkLimits: walkLimitsFromEnv(ctx),
      ...(onEvent ? { onEvent } : {}),
    };
    const r = await withRemote(args, ctx, [...registryOf(src), ...registryOf(dst)], (remote) =>
      copyLocations(src, dst, () => ctx.store(), remote, io),
    );
    const data = transferData(r);
    return { data, text: `copied ${r.source} -> ${r.target} ${shortDigest(r.root.digest)}: ${transferSummary(r)}` };
  },
});
