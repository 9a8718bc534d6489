import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { checkGraphContent, type GraphCheck } from '../../src/content/graph-check.js';
import { isScrydonError, ScrydonError } from '../../src/errors.js';
import { refusalError } from '../../src/fs/io-error.js';
import { exact, regexp, type Matcher } from '../../src/signature/identity.js';
import { appendReceipts, type Receipt } from '../../src/signature/receipts.js';
import { parseTrustedRoot } from '../../src/signature/sigstore-trust-root.js';
import { loadTrustRoot } from '../../src/signature/trust-store.js';
import { verifySignatures, type LoadedTrust, type VerifiedSignature, type VerifyRequirement, type VerifyResult } from '../../src/signature/verify.js';
import { loadPolicy } from '../../src/config/policy.js';
import { enforce, policyName } from '../../src/signature/policy-engine.js';
import type { Context } from '../context.js';
import { defineCommand } from '../define-command.js';
import { registryFlags, REGISTRY_EPILOG } from '../registry-options.js';
import { shortDigest } from '../output/render.js';
import { annotationsFrom, loadPublicKey, locate, storeNameFor, whereFlag, type Located } from '../signature-options.js';
import { policyFile } from '../registry-policy.js';
import { walkLimitsFromEnv } from '../walk-limits.js';
import type { WalkLimits } from '../../src/content/limits.js';

interface IdentityArgs {
  'certificate-identity'?: string | undefined;
  'certificate-identity-regexp'?: string | undefined;
  'certificate-oidc-issuer'?: string | undefined;
  'certificate-oidc-issuer-regexp'?: string | undefined;
}

function matcher(exactValue: string | undefined, pattern: string | undefined, flag: string): Matcher | undefined {
  if (exactValue !== undefined && pattern !== undefined) throw new ScrydonError('usage', `give --${flag} or --${flag}-regexp, not both`);
  if (exactValue !== undefined) return exact(exactValue);
  return pattern !== undefined ? regexp(pattern, `--${flag}-regexp`) : undefined;
}

/** The explicit requirement of the flags, or undefined when none is given (the policy then decides). */
async function requirement(key: string | undefined, a: IdentityArgs, ctx: Context): Promise<VerifyRequirement | undefined> {
  const identity = matcher(a['certificate-identity'], a['certificate-identity-regexp'], 'certificate-identity');
  const issuer = matcher(a['certificate-oidc-issuer'], a['certificate-oidc-issuer-regexp'], 'certificate-oidc-issuer');
  if (key !== undefined) {
    if (identity || issuer) throw new ScrydonError('usage', '--key and --certificate-* are two ways to verify; give one');
    return { kind: 'key', key: await loadPublicKey(key, ctx) };
  }
  if (!identity && !issuer) return undefined;
  if (!identity || !issuer) {
    throw new ScrydonError('usage', 'keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]', {
      hint: "regexps are unanchored, as cosign's (RE2) are: write '^https://github\\.com/acme/.*$'",
    });
  }
  return { kind: 'keyless', identity: { identity, issuer } };
}

async function trustFrom(file: string | undefined, ctx: Context): Promise<LoadedTrust | undefined> {
  if (file === undefined) return loadTrustRoot(ctx.paths.trust);
  const bytes = await readFile(file).catch((e: unknown) => {
    throw new ScrydonError('not_found', `cannot read ${file}: ${(e as Error).message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('trust_invalid', `${file} is not JSON`, { cause: e });
  }
  return { root: parseTrustedRoot(json, file), digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** verify with no --key, no identity, and no policy.yaml rule naming a signer for `name`: a usage error, never a pass. */
function nothingToVerifyAgainst(ref: string, name: string, outcome: string, rule: string, policyFile: string | undefined): ScrydonError {
  const why =
    policyFile === undefined ? 'no policy.yaml'
    : outcome === 'skipped' ? `${rule} turns verification off`
    : rule.startsWith('scope') ? `${rule} requires no signature`
    : `no scope of ${policyFile} matches ${name}`;
  return new ScrydonError('usage', `nothing to verify ${ref} against: no --key, no --certificate-identity, and ${why}`, {
    hint: 'give --key cosign.pub, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp], or a policy.yaml scope whose signatures name a key or identity',
  });
}

/** Every blob the verified digest covers, rehashed; a damaged store copy says how to mend it. */
async function checkContent(at: Located, signal: AbortSignal | undefined, walkLimits: Partial<WalkLimits>): Promise<GraphCheck> {
  try {
    return await checkGraphContent(at.target, at.descriptor, { signal, walkLimits });
  } catch (e) {
    if (at.where === 'store' && (isScrydonError(e, 'digest_mismatch') || isScrydonError(e, 'size_mismatch') || isScrydonError(e, 'blob_missing'))) {
      throw new ScrydonError(e.code, e.message, { cause: e, hint: 'the store\'s copy is damaged: run scrydon check, then pull or load the pack again' });
    }
    throw e;
  }
}

function who(v: VerifiedSignature): string {
  return v.signer.kind === 'key' ? `key ${v.signer.fingerprint}` : `${v.signer.identity} (issuer ${v.signer.issuer})`;
}

export default defineCommand({
  command: 'verify <ref>',
  describe: 'Verify signatures offline, as cosign does: --key, a certificate identity and issuer against the imported trusted root, or (neither given) the rule policy.yaml has for the name',
  examples: [
    ['scrydon verify acme.fraud:1.2.0 --key cosign.pub', 'a key signature, from the local store, no network'],
    [
      "scrydon verify ghcr.io/acme/fraud:1.2.0 --certificate-identity-regexp '^https://github\\.com/acme/fraud/' --certificate-oidc-issuer https://token.actions.githubusercontent.com",
      'keyless; regexps are unanchored like cosign\'s: anchor them with ^…$',
    ],
    ['scrydon verify acme.fraud:1.2.0 --key cosign.pub -a env=prod --json', 'require an annotation; machine-readable'],
    ['scrydon verify ghcr.io/acme/fraud:1.2.0', 'whatever the first matching scope of $SCRYDON_HOME/policy.yaml requires'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    whereFlag(
      registryFlags(
        y
          .positional('ref', { type: 'string', demandOption: true, describe: 'store tag or digest (with --remote: a registry reference)' })
          .option('key', { type: 'string', describe: 'public key: a path (cosign.pub), env://NAME, or a PEM certificate' })
          .option('certificate-identity', { type: 'string', describe: 'a SAN of the signing certificate must equal this exactly' })
          .option('certificate-identity-regexp', { type: 'string', describe: "a SAN must match this regexp; unanchored, as cosign's RE2 is: anchor it, '^https://github\\.com/acme/.*$'" })
          .option('certificate-oidc-issuer', { type: 'string', describe: 'the certificate\'s OIDC issuer must equal this exactly' })
          .option('certificate-oidc-issuer-regexp', { type: 'string', describe: 'the issuer must match this regexp (unanchored, as in cosign: anchor it with ^…$)' })
          .option('trusted-root', { type: 'string', describe: 'use this trusted_root.json instead of the imported one' })
          .option('predicate-type', { type: 'string', describe: 'the in-toto predicate a bundle must carry (default https://sigstore.dev/cosign/sign/v1)' })
          .option('annotations', { alias: 'a', type: 'string', array: true, describe: 'key=value the signed claim must carry (repeatable)' })
          .option('check-content', {
            type: 'boolean',
            describe: 'rehash every blob the signed manifest covers (default: on for the store; with --remote it downloads them)',
          }),
      ),
    ),
  run: async (args, ctx) => {
    const req = await requirement(args.key, args, ctx);
    const { policy, source } = await loadPolicy(policyFile(ctx));
    if (!req && source === undefined) throw nothingToVerifyAgainst(args.ref, args.ref, 'not-required', '', undefined);
    const trust = await trustFrom(args['trusted-root'], ctx);
    const at = await locate(args.ref, args, ctx, false);
    try {
      if (at.byTag) ctx.info(`${args.ref} resolves to ${at.descriptor.digest}; that digest is what is verified`);
      // a signature vouches for a digest; the store's bytes must still be what that digest names
      const content: GraphCheck | undefined = (args['check-content'] ?? at.where === 'store') ? await checkContent(at, ctx.signal, walkLimitsFromEnv(ctx)) : undefined;
      const legacyRefs = await at.legacyRefs(at.descriptor);
      const run = (requirement: VerifyRequirement) =>
        verifySignatures(at.target, at.descriptor, {
          requirement,
          trust,
          annotations: annotationsFrom(args.annotations),
          ...(args['predicate-type'] ? { predicateType: args['predicate-type'] } : {}),
          legacyRefs,
          signal: ctx.signal,
          walkLimits: walkLimitsFromEnv(ctx),
        });
      let result: VerifyResult | undefined;
      let rule: string | undefined;
      if (req) result = await run(req);
      else {
        // no --key or identity: the policy says whom to trust for this name
        const name = at.where === 'store' ? await storeNameFor(ctx, args.ref, at.descriptor) : policyName(args.ref);
        const e = await enforce(policy, source, args.ref, run, name, { strict: true });
        for (const w of e.warnings) ctx.warn(w);
        rule = e.rule;
        // exit 0 means a signature was verified: with nothing to verify against, that cannot be said
        if (e.outcome !== 'verified') throw nothingToVerifyAgainst(args.ref, name, e.outcome, rule, source);
        result = e.result;
      }
      const verifiedAt = new Date().toISOString();
      const receipts: Receipt[] = result.verified.map((v) => ({
        digest: result.digest,
        reference: args.ref,
        verifiedAt,
        format: v.format,
        signature: v.signature,
        signer: v.signer,
        signedAt: v.signedAt,
        trustRoot: result.trustRoot ?? null,
        transparencyLog: v.transparencyLog,
      }));
      // the receipt is a record for inspect and serve: a store on read-only media still verifies
      if (at.where === 'store') {
        await appendReceipts((await ctx.store()).paths.root, receipts).catch((e: unknown) => {
          const refused = refusalError(e);
          if (!isScrydonError(refused)) throw e;
          ctx.warn(`the verification was not recorded: ${refused.message}`);
        });
      }
      const data = { reference: args.ref, where: at.where, outcome: 'verified', ...(rule ? { rule } : {}), ...result, trustRoot: result.trustRoot ?? null, content: content ? { checked: true, ...content } : { checked: false } };
      const lines = [`Verified ${args.ref} (${result.digest})${rule ? ` by ${rule}` : ''}`];
      for (const v of result.verified) {
        lines.push(`  ${v.format === 'bundle' ? 'Sigstore bundle v0.3 referrer' : `cosign legacy signature (${v.foundAs})`} ${shortDigest(v.signature)}`);
        lines.push(`    signed by ${who(v)}`);
        if (v.signedAt.length) lines.push(`    signed at ${v.signedAt.join(', ')}`);
        lines.push(`    transparency log: ${v.transparencyLog.entries === 0 ? 'none' : v.transparencyLog.checked ? `${v.transparencyLog.entries} entry verified` : `${v.transparencyLog.entries} entry not checked (no trusted root)`}`);
      }
      lines.push(`  trust root: ${result.trustRoot ?? 'none used'}`);
      lines.push(content ? `  content: ${content.blobs} blob(s), ${content.bytes} bytes rehashed, all match` : '  content: not checked (only the signed digest was; --check-content downloads and rehashes every blob)');
      return { data, text: lines.join('\n') };
    } finally {
      await at.close();
    }
  },
});
