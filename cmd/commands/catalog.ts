import { readSmallFile } from '../../src/pack/small-file.js';
import { CATALOG_FILE_MAX_BYTES } from '../../src/sources/catalog-file.js';
import { pushCatalog } from '../../src/sources/catalog-push.js';
import { parseRemoteReference } from '../../src/names/remote.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { registryFlags, REGISTRY_EPILOG, withRemote } from '../registry-options.js';
import { loadSigningKey } from '../signature-options.js';

const push = defineCommand({
  command: 'push <file> <ref>',
  describe: 'Validate a scrydon.yaml and publish it as the OCI catalog artifact an oci source reads',
  examples: [
    ['scrydon catalog push scrydon.yaml registry.site:5000/packs/catalog', 'the tag defaults to catalog'],
    [
      'scrydon catalog push scrydon.yaml ghcr.io/acme/packs:catalog --key cosign.key',
      'signed: a bundle referrer beside it',
    ],
    [
      'scrydon source add site --type oci --url registry.site:5000/packs --signature-policy cosign-key --public-key site.pub',
      'then nodes read it',
    ],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    registryFlags(
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'the scrydon.yaml to publish' })
        .positional('ref', {
          type: 'string',
          demandOption: true,
          describe: 'REGISTRY/REPOSITORY[:TAG] (tag default: catalog)',
        })
        .option('key', {
          type: 'string',
          describe: 'sign the catalog artifact: a private key path (cosign.key) or env://NAME',
        })
        .option('legacy', {
          type: 'boolean',
          default: false,
          describe: "with --key: cosign's legacy sha256-<hex>.sig tag instead of a bundle referrer",
        }),
    ),
  run: async (args, ctx) => {
    const bytes = await readSmallFile(args.file, CATALOG_FILE_MAX_BYTES, 'the catalog');
    const key = args.key !== undefined ? await loadSigningKey(args.key, ctx) : undefined;
    const { registry } = parseRemoteReference(args.ref);
    const pushed = await withRemote(args, ctx, [registry], (remote) =>
      pushCatalog(remote, args.ref, args.file, bytes, {
        signal: ctx.signal,
        legacy: args.legacy,
        ...(key ? { key } : {}),
      }),
    );
    const data = {
      reference: pushed.reference,
      digest: pushed.descriptor.digest,
      size: pushed.descriptor.size,
      packs: pushed.packs,
      signatures: pushed.signatures,
    };
    const lines = [
      `pushed catalog ${pushed.reference}@${pushed.descriptor.digest} (${pushed.packs} pack${pushed.packs === 1 ? '' : 's'})`,
      ...pushed.signatures.map((s) => `signed ${s.format} -> signature ${shortDigest(s.signature)}`),
    ];
    return { data, text: lines.join('\n') };
  },
});

export default defineCommand({
  command: 'catalog',
  describe: 'Source catalogs: publish a scrydon.yaml as the OCI artifact oci sources read',
  examples: [['scrydon catalog push scrydon.yaml registry.site:5000/packs', 'publish; nodes add it as an oci source']],
  builder: (y) => y,
  run: async () => ({ data: null }),
  subcommands: [push] as never,
});
