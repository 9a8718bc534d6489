import { signArtifact } from '../../src/signature/sign.js';
import { defineCommand } from '../define-command.js';
import { registryFlags, REGISTRY_EPILOG } from '../registry-options.js';
import { shortDigest } from '../output/render.js';
import { annotationsFrom, loadSigningKey, locate, refAndKey, warnIfTag, whereFlag } from '../signature-options.js';

export default defineCommand({
  command: 'sign <ref>',
  describe:
    'Sign an artifact by digest with a key, as cosign does (a Sigstore bundle referrer; --legacy: a sha256-<hex>.sig tag)',
  examples: [
    ['scrydon sign acme.fraud:1.2.0 --key cosign.key', 'a bundle referrer in the local store; push carries it'],
    [
      'scrydon sign acme.fraud:1.2.0 --key env://COSIGN_PRIVATE_KEY --legacy',
      'the .sig tag older cosign versions read',
    ],
    ['scrydon sign 127.0.0.1:5000/acme/fraud:1.2.0 --remote --plain-http --key cosign.key', 'straight in a registry'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    whereFlag(
      registryFlags(
        refAndKey(y)
          .option('legacy', {
            type: 'boolean',
            default: false,
            describe: "write cosign's legacy sha256-<hex>.sig tag instead of a bundle referrer",
          })
          .option('recursive', {
            type: 'boolean',
            default: true,
            describe: 'also sign the manifests an index lists (--no-recursive: the index only)',
          })
          .option('annotations', {
            alias: 'a',
            type: 'string',
            array: true,
            describe: 'key=value to put in the signed claim (repeatable)',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const key = await loadSigningKey(args.key, ctx);
    const at = await locate(args.ref, args, ctx, true);
    try {
      warnIfTag(at, ctx, 'sign');
      const results = await signArtifact(at.target, at.descriptor, key, {
        legacy: args.legacy,
        recursive: args.recursive,
        annotations: annotationsFrom(args.annotations),
        dockerReference: at.dockerReference,
        legacyTagRef: at.legacyTagRef,
        signal: ctx.signal,
      });
      const data = {
        reference: at.ref,
        where: at.where,
        digest: at.descriptor.digest,
        key: key.publicKey.fingerprint,
        signatures: results,
      };
      const lines = results.map(
        (r) => `signed ${r.digest} (${r.format}${r.tag ? ` ${r.tag}` : ''}) -> signature ${shortDigest(r.signature)}`,
      );
      return { data, text: lines.join('\n') };
    } finally {
      await at.close();
    }
  },
});
