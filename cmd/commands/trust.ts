import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../../src/errors.js';
import type { TrustWindow } from '../../src/signature/sigstore-trust-root.js';
import { importTrustRoot, showTrustRoot, type TrustInfo } from '../../src/signature/trust-store.js';
import { trustRootFromStore } from '../../src/signature/trust-artifact.js';
import { defineCommand } from '../define-command.js';

function windows(label: string, list: readonly TrustWindow[]): string[] {
  return [
    `  ${label} (${list.length}):`,
    ...list.map((w) => `    ${w.name}  valid ${w.validFrom ?? '-'} .. ${w.validUntil ?? 'open'}`),
  ];
}

function human(t: TrustInfo, verb: string): string {
  const days = (t.ageSeconds / 86400).toFixed(1);
  return [
    `${verb} ${t.path}`,
    `  digest:   ${t.digest}`,
    `  imported: ${t.importedAt} (${days} days ago)`,
    `  media type: ${t.contents.mediaType}`,
    ...windows('certificate authorities', t.contents.certificateAuthorities),
    ...windows('transparency logs', t.contents.tlogs),
    ...windows('CT logs', t.contents.ctlogs),
    ...windows('timestamp authorities', t.contents.timestampAuthorities),
  ].join('\n');
}

const importCmd = defineCommand({
  command: 'import [file]',
  describe:
    'Make FILE (a Sigstore trusted_root.json) the trust root keyless verification uses; replaces the current one',
  examples: [
    [
      'scrydon trust import trusted_root.json',
      'public-good Sigstore (the TUF target), or `cosign trusted-root create` output',
    ],
    [
      'scrydon trust import --digest sha256:…',
      'the root a loaded archive carried (save --trust), pinned by the digest you know',
    ],
  ],
  builder: (y) =>
    y.positional('file', { type: 'string', describe: 'path to trusted_root.json' }).option('digest', {
      type: 'string',
      describe: 'import the trusted root with this digest from the store (carried by save --trust)',
    }),
  run: async (args, ctx) => {
    if ((args.file === undefined) === (args.digest === undefined))
      throw new ScrydonError('usage', 'give FILE or --digest (one of them)');
    let bytes: Buffer;
    if (args.digest !== undefined) bytes = await trustRootFromStore(await ctx.store(), args.digest);
    else {
      try {
        bytes = await readFile(args.file as string);
      } catch (e) {
        throw new ScrydonError(
          'not_found',
          `cannot read ${args.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    }
    const info = await importTrustRoot(ctx.paths.trust, bytes, args.file ?? args.digest ?? '');
    return { data: info, text: human(info, 'imported') };
  },
});

const show = defineCommand({
  command: 'show',
  describe: 'Show the trusted root: digest, age, and the CAs, logs and TSAs it holds with their validity',
  examples: [['scrydon trust show --json', 'for a script that refreshes roots older than N days']],
  builder: (y) => y,
  run: async (_args, ctx) => {
    const info = await showTrustRoot(ctx.paths.trust);
    return { data: info, text: human(info, 'trusted root') };
  },
});

export default defineCommand({
  command: 'trust',
  describe:
    'The trusted root for keyless verification, kept under $SCRYDON_HOME/trust (verification never fetches one)',
  examples: [['scrydon trust import trusted_root.json && scrydon trust show', 'set it, then check it']],
  builder: (y) => y,
  run: async () => ({ data: null }),
  subcommands: [importCmd, show] as never,
});
