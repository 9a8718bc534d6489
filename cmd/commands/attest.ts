import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../../src/errors.js';
import { attestArtifact } from '../../src/signature/attest.js';
import { PREDICATE_TYPE_NAMES, predicateTypeOf } from '../../src/signature/predicate-types.js';
import { defineCommand } from '../define-command.js';
import { registryFlags, REGISTRY_EPILOG } from '../registry-options.js';
import { shortDigest } from '../output/render.js';
import { loadSigningKey, locate, refAndKey, warnIfTag, whereFlag } from '../signature-options.js';

/** SBOMs run to a few MiB; a predicate is read whole, so it is bounded. */
const MAX_PREDICATE_BYTES = 16 * 1024 * 1024;

/** The predicate file: JSON, or for cosign's `custom` type any text, wrapped as cosign wraps it ({Data, Timestamp}). */
async function readPredicate(file: string, type: string): Promise<unknown> {
  // a missing or unreadable file is the io_error line every user-given path gets (cmd/output/error-line.ts)
  const bytes = await readFile(file);
  if (bytes.length > MAX_PREDICATE_BYTES)
    throw new ScrydonError('size_limit_exceeded', `--predicate ${file} is over ${MAX_PREDICATE_BYTES} bytes`);
  const text = bytes.toString('utf8');
  if (type === 'custom') return { Data: text, Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ScrydonError('usage', `--predicate ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}

export default defineCommand({
  command: 'attest <ref>',
  describe:
    'Attest an artifact by digest with a key: an in-toto statement (SLSA provenance, SBOM, …) signed as cosign 3 and GitHub do (a Sigstore bundle referrer; --legacy: a sha256-<hex>.att tag)',
  examples: [
    [
      'scrydon attest acme.fraud:1.2.0 --predicate provenance.json --type slsaprovenance1 --key cosign.key',
      'SLSA v1 provenance as a bundle referrer in the local store; push carries it',
    ],
    [
      'scrydon attest acme.fraud:1.2.0 --predicate sbom.spdx.json --type spdxjson --key cosign.key --legacy',
      "an SPDX SBOM under cosign's legacy .att tag, for cosign 2 and older readers",
    ],
    [
      'scrydon attest acme.fraud:1.2.0 --predicate scan.json --type custom:https://acme.example/scan/v1 --key cosign.key',
      'a predicate type of your own',
    ],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    whereFlag(
      registryFlags(
        refAndKey(y)
          .option('predicate', {
            type: 'string',
            demandOption: true,
            describe: 'the predicate: a JSON file (for --type custom: any text)',
          })
          .option('type', {
            type: 'string',
            demandOption: true,
            describe: `predicate type: ${PREDICATE_TYPE_NAMES.join(', ')}, custom:URI, or a URI (names as cosign's --type)`,
          })
          .option('legacy', {
            type: 'boolean',
            default: false,
            describe: "write cosign's legacy sha256-<hex>.att tag instead of a bundle referrer",
          }),
      ),
    ),
  run: async (args, ctx) => {
    const predicateType = predicateTypeOf(args.type);
    const predicate = await readPredicate(args.predicate, args.type);
    const key = await loadSigningKey(args.key, ctx);
    const at = await locate(args.ref, args, ctx, true);
    try {
      warnIfTag(at, ctx, 'attest');
      const r = await attestArtifact(at.target, at.descriptor, key, {
        predicateType,
        predicate,
        legacy: args.legacy,
        legacyTagRef: (d) => at.legacyTagRef(d, 'att'),
        signal: ctx.signal,
      });
      const data = { reference: at.ref, where: at.where, key: key.publicKey.fingerprint, ...r };
      const text = `attested ${r.digest} (${r.predicateType}; ${r.format}${r.tag ? ` ${r.tag}` : ''}) -> attestation ${shortDigest(r.attestation)}`;
      return { data, text };
    } finally {
      await at.close();
    }
  },
});
