import { loadPolicy } from '../../src/config/policy.js';
import { signerLabel } from '../../src/signature/receipts.js';
import { loadTrustFile, loadTrustRoot } from '../../src/signature/trust-store.js';
import { nothingToVerifyAgainst, verifyReference, type VerifyReport } from '../../src/verbs/verify-ref.js';
import { defineCommand } from '../define-command.js';
import { registryFlags, REGISTRY_EPILOG } from '../registry-options.js';
import { shortDigest } from '../output/render.js';
import { annotationsFrom, locate, whereFlag } from '../signature-options.js';
import { requirementFromFlags, verifierFlags } from '../verify-requirement.js';
import { policyFile } from '../registry-policy.js';
import { walkLimitsFromEnv } from '../walk-limits.js';

function reportText(r: VerifyReport): string {
  const lines = [`Verified ${r.reference} (${r.digest})${r.rule ? ` by ${r.rule}` : ''}`];
  for (const v of r.verified) {
    lines.push(
      `  ${v.format === 'bundle' ? 'Sigstore bundle v0.3 referrer' : `cosign legacy signature (${v.foundAs})`} ${shortDigest(v.signature)}`,
    );
    lines.push(`    signed by ${signerLabel(v.signer)}`);
    if (v.signedAt.length) lines.push(`    signed at ${v.signedAt.join(', ')}`);
    lines.push(
      `    transparency log: ${v.transparencyLog.entries === 0 ? 'none' : v.transparencyLog.checked ? `${v.transparencyLog.entries} entry verified` : `${v.transparencyLog.entries} entry not checked (no trusted root)`}`,
    );
    if (v.tsaTimestamps) lines.push(`    timestamp authority: ${v.tsaTimestamps} timestamp(s) verified`);
  }
  lines.push(`  trust root: ${r.trustRoot ?? 'none used'}`);
  const c = r.content;
  lines.push(
    c.checked
      ? `  content: ${c.blobs} blob(s), ${c.bytes} bytes rehashed, all match`
      : '  content: not checked (only the signed digest was; --check-content downloads and rehashes every blob)',
  );
  return lines.join('\n');
}

export default defineCommand({
  command: 'verify <ref>',
  describe:
    'Verify signatures offline, as cosign does: --key, a certificate identity and issuer against the imported trusted root, or (neither given) the rule policy.yaml has for the name',
  examples: [
    ['scrydon verify acme.fraud:1.2.0 --key cosign.pub', 'a key signature, from the local store, no network'],
    [
      "scrydon verify ghcr.io/acme/fraud:1.2.0 --certificate-identity-regexp '^https://github\\.com/acme/fraud/' --certificate-oidc-issuer https://token.actions.githubusercontent.com",
      "keyless; regexps are unanchored like cosign's: anchor them with ^…$",
    ],
    ['scrydon verify acme.fraud:1.2.0 --key cosign.pub -a env=prod --json', 'require an annotation; machine-readable'],
    [
      'scrydon verify ghcr.io/acme/fraud:1.2.0',
      'whatever the first matching scope of $SCRYDON_HOME/policy.yaml requires',
    ],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    whereFlag(
      registryFlags(
        verifierFlags(
          y.positional('ref', {
            type: 'string',
            demandOption: true,
            describe: 'store tag or digest (with --remote: a registry reference)',
          }),
        )
          .option('predicate-type', {
            type: 'string',
            describe: 'the in-toto predicate a bundle must carry (default https://sigstore.dev/cosign/sign/v1)',
          })
          .option('annotations', {
            alias: 'a',
            type: 'string',
            array: true,
            describe: 'key=value the signed claim must carry (repeatable)',
          })
          .option('check-content', {
            type: 'boolean',
            describe:
              'rehash every blob the signed manifest covers (default: on for the store; with --remote it downloads them)',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const requirement = await requirementFromFlags(args.key, args, ctx);
    const { policy, source } = await loadPolicy(policyFile(ctx));
    if (!requirement && source === undefined)
      throw nothingToVerifyAgainst(args.ref, args.ref, 'not-required', '', undefined);
    const trust =
      args['trusted-root'] === undefined
        ? await loadTrustRoot(ctx.paths.trust)
        : await loadTrustFile(args['trusted-root']);
    const at = await locate(args.ref, args, ctx, false);
    let r: VerifyReport;
    try {
      r = await verifyReference(at.ref, at, {
        requirement,
        policy,
        policySource: source,
        trust,
        annotations: annotationsFrom(args.annotations),
        ...(args['predicate-type'] ? { predicateType: args['predicate-type'] } : {}),
        checkContent: args['check-content'],
        store: () => ctx.store(),
        signal: ctx.signal,
        walkLimits: walkLimitsFromEnv(ctx),
        onInfo: (m) => ctx.info(m),
        onWarn: (m) => ctx.warn(m),
      });
    } finally {
      await at.close();
    }
    return { data: r, text: reportText(r) };
  },
});
