import { isScrydonError, ScrydonError } from '../../src/errors.js';
import { namesRegistry } from '../../src/oci/reference.js';
import { inspectArtifact, type InspectResult } from '../../src/pack/inspect.js';
import { readReceipts } from '../../src/signature/receipts.js';
import { listAttestations, type ListedAttestation } from '../../src/signature/attestation-list.js';
import { COSIGN_SIGN_PREDICATE } from '../../src/signature/intoto.js';
import { storeLegacyRefs } from '../../src/signature/locations.js';
import type { Context } from '../context.js';
import type { Digest } from '../../src/oci/digest.js';
import { attestationReceiptText, carriedReceiptText, receiptText } from '../receipt-text.js';
import { allAttestationReceipts, readCarriedReceipts } from '../../src/signature/carried-receipts.js';
import type { Receipt } from '../../src/signature/receipts.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { parseRemoteReference } from '../../src/names/remote.js';
import { inspectRemote } from '../../src/verbs/inspect-remote.js';
import { defineCommand } from '../define-command.js';
import { registryFlags, withRemote, REGISTRY_EPILOG } from '../registry-options.js';
import { table } from '../output/render.js';
import { walkLimitsFromEnv } from '../walk-limits.js';
import { storeName } from '../store-name.js';

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function annotationLines(a: Record<string, string> | undefined, indent: string): string[] {
  return Object.entries(a ?? {}).map(([k, v]) => `${indent}${k}: ${v}`);
}

function descriptorLines(label: string, d: Descriptor): string[] {
  return [
    `  ${label}: ${d.mediaType}`,
    `    digest: ${d.digest}`,
    `    size: ${d.size} (${bytes(d.size)})`,
    ...annotationLines(d.annotations, '    '),
  ];
}

function human(r: InspectResult): string {
  const out = [`Reference:     ${r.reference}`, `Digest:        ${r.digest}`, `Media type:    ${r.mediaType}`];
  if (r.artifactType) out.push(`Artifact type: ${r.artifactType}`);
  out.push(`Size:          ${r.size} (${bytes(r.size)}; manifest ${r.manifestSize} B)`);
  if (r.subject) out.push(`Subject:       ${r.subject.digest}`);
  const ann = annotationLines(r.annotations, '  ');
  if (ann.length) out.push('', 'Annotations:', ...ann);
  if (r.config) out.push('', 'Config:', ...descriptorLines('mediaType', r.config));
  if (r.layers)
    out.push('', `Layers (${r.layers.length}):`, ...r.layers.flatMap((l, i) => descriptorLines(`[${i}] mediaType`, l)));
  if (r.manifests)
    out.push(
      '',
      `Manifests (${r.manifests.length}):`,
      ...r.manifests.flatMap((m, i) => descriptorLines(`[${i}] mediaType`, m)),
    );
  if (r.pack) {
    const p = r.pack;
    out.push(
      '',
      `Pack: ${p.packJson.package.id} ${p.packJson.package.version} (pack.json from the ${p.packJsonSource})`,
    );
    out.push(
      ...JSON.stringify(p.packJson, null, 2)
        .split('\n')
        .map((l) => `  ${l}`),
    );
    if (p.files) {
      out.push('', `Files (${p.files.length}, ${bytes(p.unpackedSize ?? 0)} unpacked):`);
      if (p.files.length)
        out.push(
          ...table(
            ['SIZE', 'MODE', 'PATH'],
            p.files.map((f) => [String(f.size), f.mode.toString(8).padStart(4, '0'), f.path]),
          )
            .split('\n')
            .map((l) => `  ${l}`),
        );
    } else out.push('', 'Files: not listed (the layer was not downloaded)');
  } else if (r.packError) {
    out.push('', `Pack: refused (${r.packError.code})`, ...r.packError.message.split('\n').map((l) => `  ${l}`));
  } else {
    out.push('', 'Pack: none (not a scrydon pack)');
  }
  out.push('', `Referrers (${r.referrers.length}):`);
  for (const ref of r.referrers) out.push(`  ${ref.digest}  ${ref.artifactType ?? ref.mediaType}`);
  return out.join('\n');
}

function attestationText(list: readonly ListedAttestation[] | undefined): string {
  if (!list) return '';
  const out = ['\n', `Attestations (${list.length}, not verified: scrydon verify-attestation judges them):`];
  for (const a of list) {
    out.push(
      `  ${a.predicateType ?? '(unreadable statement)'}  ${a.format === 'bundle' ? 'bundle referrer' : `legacy ${a.foundAs}`} ${a.attestation}`,
      `    signer: ${a.signer ?? 'none named (a key: verify with --key)'}`,
      `    subject: ${a.subjects.join(', ') || 'none'}`,
    );
  }
  return out.join('\n');
}

/** The attestations the store keeps for a stored artifact (bundle referrers and `.att` tags). */
async function storedAttestations(ctx: Context, d: Descriptor): Promise<ListedAttestation[]> {
  const store = await ctx.store();
  return listAttestations(store, d, await storeLegacyRefs(store, d, 'att'), COSIGN_SIGN_PREDICATE, {
    signal: ctx.signal,
  });
}

export default defineCommand({
  command: 'inspect <ref>',
  describe: 'Show a stored artifact: descriptors, annotations, pack.json, files and sizes, referrers',
  examples: [
    [
      'scrydon inspect acme.fraud:1.2.0',
      'everything about one pack, for a person (by ID:VERSION, whatever its store name)',
    ],
    ['scrydon inspect acme.fraud', 'the highest stored version of a pack id'],
    ['scrydon inspect acme.fraud@sha256:3f1c… --json | jq .pack.files', 'the file list as JSON'],
    ['scrydon inspect docker://ghcr.io/acme/fraud:1.2.0', 'on the registry: manifest and config only, nothing stored'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    registryFlags(
      y
        .positional('ref', {
          type: 'string',
          demandOption: true,
          describe: 'ID:VERSION, tag or digest in the local store (docker://REF or --remote: on a registry)',
        })
        .option('remote', {
          type: 'boolean',
          default: false,
          describe: 'inspect REF on its registry (manifest and config only; nothing stored)',
        }),
    ),
  run: async (args, ctx) => {
    // a remote reference is read from its registry, never the store
    const remoteRef = args.ref.startsWith('docker://')
      ? args.ref.slice('docker://'.length)
      : args.remote
        ? args.ref
        : undefined;
    const result =
      remoteRef !== undefined
        ? await withRemote(args, ctx, [parseRemoteReference(remoteRef).registry], (remote) =>
            inspectRemote(remote, remoteRef, { signal: ctx.signal, walkLimits: walkLimitsFromEnv(ctx) }),
          )
        : await storeName(ctx, args.ref)
            .then(async (ref) => inspectArtifact(await ctx.store(), ref, { signal: ctx.signal }))
            .catch((e: unknown) => {
              // the store only, unless asked: a registry name it does not hold is not looked up
              if (isScrydonError(e, 'not_found') && namesRegistry(args.ref))
                throw new ScrydonError('not_found', e.message, {
                  cause: e,
                  hint: `inspect it on its registry: scrydon inspect --remote ${args.ref} (reads manifest and config; stores nothing)`,
                });
              throw e;
            });
    // the verification receipts `scrydon verify` and reconcile recorded in the store, and those archives carried in
    const root = remoteRef === undefined ? (await ctx.store()).paths.root : undefined;
    const receipts = root ? await readReceipts(root, result.digest) : [];
    const carriedReceipts = root ? await readCarriedReceipts<Receipt>(root, result.digest, 'signatures') : [];
    const attestationReceipts = root ? await allAttestationReceipts(root, result.digest) : [];
    const attestations =
      remoteRef === undefined
        ? await storedAttestations(ctx, {
            mediaType: result.mediaType,
            digest: result.digest as Digest,
            size: result.manifestSize,
          })
        : undefined;
    // a refused pack: everything above is shown, then the error install would report (exit 1)
    const e = result.packError;
    const error = e ? new ScrydonError(e.code, e.message, e.hint ? { hint: e.hint } : {}) : undefined;
    return {
      data: {
        ...result,
        receipts,
        ...(root ? { carriedReceipts, attestationReceipts } : {}),
        ...(attestations ? { attestations } : {}),
      },
      text:
        human(result) +
        attestationText(attestations) +
        receiptText(receipts) +
        carriedReceiptText(carriedReceipts) +
        attestationReceiptText(attestationReceipts),
      ...(error ? { error } : {}),
    };
  },
});
