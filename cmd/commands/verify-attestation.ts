import { loadAttestationPolicy } from '../../src/config/attestation-policy.js';
import { ScrydonError } from '../../src/errors.js';
import { rulesFromPolicy, workflowMatcher, type AttestationRules } from '../../src/signature/attestation-rules.js';
import { predicateTypeOf, PREDICATE_TYPE_NAMES } from '../../src/signature/predicate-types.js';
import { signerLabel } from '../../src/signature/receipts.js';
import { loadTrustFile, loadTrustRoot } from '../../src/signature/trust-store.js';
import { verifyAttestations, type AttestationVerifyResult } from '../../src/signature/verify-attestation.js';
import { defineCommand } from '../define-command.js';
import { shortDigest } from '../output/render.js';
import { registryFlags, REGISTRY_EPILOG } from '../registry-options.js';
import { locate, whereFlag } from '../signature-options.js';
import { requirementFromFlags, verifierFlags } from '../verify-requirement.js';

interface ClaimFlags {
  'source-repository'?: string | undefined;
  'source-ref'?: string | undefined;
  'signer-workflow'?: string | undefined;
  'github-hosted-runner'?: boolean | undefined;
}

/** The policy file's rules, with the certificate flags added (a flag and the file naming the same claim: the flag). */
async function rulesFrom(policy: string | undefined, a: ClaimFlags): Promise<AttestationRules> {
  const rules: AttestationRules = policy
    ? rulesFromPolicy(await loadAttestationPolicy(policy), policy)
    : { certificate: {}, predicate: [] };
  const c = rules.certificate;
  if (a['source-repository'] !== undefined) c.sourceRepositoryUri = { kind: 'exact', value: a['source-repository'] };
  if (a['source-ref'] !== undefined) c.sourceRepositoryRef = { kind: 'exact', value: a['source-ref'] };
  if (a['signer-workflow'] !== undefined) c.buildSignerUri = workflowMatcher(a['signer-workflow']);
  if (a['github-hosted-runner']) c.runnerEnvironment = { kind: 'exact', value: 'github-hosted' };
  return rules;
}

function predicateTypeFrom(type: string | undefined, rules: AttestationRules): string {
  const fromFlag = type === undefined ? undefined : predicateTypeOf(type);
  if (fromFlag && rules.predicateType && fromFlag !== rules.predicateType)
    throw new ScrydonError(
      'usage',
      `--type names ${fromFlag} and the policy file ${rules.predicateType}; an attestation has one type`,
    );
  const t = fromFlag ?? rules.predicateType;
  if (t === undefined)
    throw new ScrydonError('usage', 'which attestations? give --type (or a policy file with predicateType)', {
      hint: `--type ${PREDICATE_TYPE_NAMES.join(', ')}, custom:URI or a URI`,
    });
  return t;
}

function reportText(ref: string, r: AttestationVerifyResult): string {
  const lines = [`Verified ${r.predicateType} attestation of ${ref} (${r.digest})`];
  for (const v of r.verified) {
    lines.push(
      `  ${v.format === 'bundle' ? 'Sigstore bundle v0.3 referrer' : `cosign legacy attestation (${v.foundAs})`} ${shortDigest(v.attestation)}`,
      `    signed by ${signerLabel(v.signer)}`,
      `    subject ${v.subjects.join(', ')}`,
    );
    if (v.signedAt.length) lines.push(`    signed at ${v.signedAt.join(', ')}`);
    if (v.tsaTimestamps) lines.push(`    timestamp authority: ${v.tsaTimestamps} timestamp(s) verified`);
    if (v.certificate?.sourceRepositoryUri)
      lines.push(
        `    built from ${v.certificate.sourceRepositoryUri}${v.certificate.sourceRepositoryRef ? ` at ${v.certificate.sourceRepositoryRef}` : ''} by ${v.certificate.buildSignerUri ?? '(no workflow)'} (${v.certificate.runnerEnvironment ?? 'runner unknown'})`,
      );
    const rules = [...v.checked.certificate.map((c) => `certificate ${c}`), ...v.checked.predicate];
    if (rules.length) lines.push(`    rules: ${rules.join(', ')}`);
  }
  lines.push(`  trust root: ${r.trustRoot ?? 'none used'}`);
  return lines.join('\n');
}

export default defineCommand({
  command: 'verify-attestation <ref>',
  describe:
    'Verify attestations offline, as cosign verify-attestation does: the signature (--key, or a certificate identity against the imported trusted root), the predicate type, the subject digest, GitHub workflow claims and predicate fields',
  examples: [
    [
      'scrydon verify-attestation acme.fraud:1.2.0 --type slsaprovenance1 --key cosign.pub',
      'SLSA v1 provenance signed with a key; an attestation of another type never counts',
    ],
    [
      "scrydon verify-attestation ghcr.io/acme/fraud:1.2.0 --type slsaprovenance1 --certificate-identity-regexp '^https://github\\.com/acme/fraud/' --certificate-oidc-issuer https://token.actions.githubusercontent.com --source-repository https://github.com/acme/fraud --github-hosted-runner",
      "built by acme/fraud's workflows on GitHub's own runners",
    ],
    [
      'scrydon verify-attestation acme.fraud:1.2.0 --type spdxjson --key cosign.pub --policy sbom-policy.yaml --json',
      'predicate fields checked against a policy file (catalog-spec/attestation-policy.schema.json)',
    ],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    whereFlag(
      registryFlags(
        verifierFlags(
          y
            .positional('ref', {
              type: 'string',
              demandOption: true,
              describe: 'store tag or digest (with --remote: a registry reference)',
            })
            .option('type', {
              type: 'string',
              describe: `predicate type: ${PREDICATE_TYPE_NAMES.join(', ')}, custom:URI, or a URI (cosign's names)`,
            }),
        )
          .option('source-repository', {
            type: 'string',
            describe:
              "the certificate's source repository (1.3.6.1.4.1.57264.1.12) must equal this: https://github.com/OWNER/REPO",
          })
          .option('source-ref', {
            type: 'string',
            describe: 'the source ref (1.3.6.1.4.1.57264.1.14) must equal this: refs/tags/v1.2.0',
          })
          .option('signer-workflow', {
            type: 'string',
            describe:
              'the signing workflow (1.3.6.1.4.1.57264.1.9, any @ref) must be this: OWNER/REPO/.github/workflows/F.yml or its URL',
          })
          .option('github-hosted-runner', {
            type: 'boolean',
            describe: 'the runner environment (1.3.6.1.4.1.57264.1.11) must be github-hosted, not self-hosted',
          })
          .option('policy', {
            type: 'string',
            describe: 'an attestation policy file (YAML or JSON): certificate claims and predicate fields to match',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const rules = await rulesFrom(args.policy, args);
    const predicateType = predicateTypeFrom(args.type, rules);
    const requirement = await requirementFromFlags(args.key, args, ctx);
    if (!requirement)
      throw new ScrydonError(
        'usage',
        'whose attestation? give --key, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]',
      );
    const trust =
      args['trusted-root'] === undefined
        ? await loadTrustRoot(ctx.paths.trust)
        : await loadTrustFile(args['trusted-root']);
    const at = await locate(args.ref, args, ctx, false);
    try {
      if (at.byTag) ctx.info(`${at.ref} resolves to ${at.descriptor.digest}; that digest is what is verified`);
      const r = await verifyAttestations(at.target, at.descriptor, {
        requirement,
        trust,
        predicateType,
        rules,
        legacyRefs: await at.legacyRefs(at.descriptor, 'att'),
        signal: ctx.signal,
      });
      return {
        data: { reference: at.ref, where: at.where, outcome: 'verified', ...r, trustRoot: r.trustRoot ?? null },
        text: reportText(at.ref, r),
      };
    } finally {
      await at.close();
    }
  },
});
