import type { SecurityPolicy } from '../config/policy.js';
import { checkGraphContent, type GraphCheck } from '../content/graph-check.js';
import type { WalkLimits } from '../content/limits.js';
import { isScrydonError, ScrydonError } from '../errors.js';
import { refusalError } from '../fs/io-error.js';
import { enforce } from '../signature/policy-engine.js';
import { appendReceipts, receiptsFor } from '../signature/receipts.js';
import { storeRepositoryFor } from '../signature/locations.js';
import { verifySignatures, type LoadedTrust, type VerifyRequirement, type VerifyResult } from '../signature/verify.js';
import type { Store } from '../store/store-target.js';
import type { Located } from './locate.js';
import { policyName } from '../names/store.js';

/** The rule a receipt records when --key or an identity was given: the command line, not a policy, decided. */
const COMMAND_LINE_RULE = 'command line';

interface VerifyRefOptions {
  /** The key or identity the command line names; undefined: the policy's rule for the name decides. */
  requirement: VerifyRequirement | undefined;
  policy: SecurityPolicy;
  /** The policy.yaml it came from; undefined for the default policy. */
  policySource: string | undefined;
  trust: LoadedTrust | undefined;
  annotations: Record<string, string>;
  predicateType?: string;
  /** Rehash every covered blob; undefined: yes in the store, no on a registry (it would download them). */
  checkContent: boolean | undefined;
  store: () => Promise<Store>;
  signal?: AbortSignal;
  walkLimits: Partial<WalkLimits>;
  onInfo: (message: string) => void;
  onWarn: (message: string) => void;
}

export interface VerifyReport extends Omit<VerifyResult, 'trustRoot'> {
  reference: string;
  where: Located['where'];
  outcome: 'verified';
  rule?: string;
  trustRoot: string | null;
  content: (GraphCheck & { checked: true }) | { checked: false };
}

/** verify with no --key, no identity, and no policy.yaml rule naming a signer for `name`: a usage error, never a pass. */
export function nothingToVerifyAgainst(
  ref: string,
  name: string,
  outcome: string,
  rule: string,
  policyFile: string | undefined,
): ScrydonError {
  const why =
    policyFile === undefined
      ? 'no policy.yaml'
      : outcome === 'skipped'
        ? `${rule} turns verification off`
        : rule.startsWith('scope')
          ? `${rule} requires no signature`
          : `no scope of ${policyFile} matches ${name}`;
  return new ScrydonError(
    'usage',
    `nothing to verify ${ref} against: no --key, no --certificate-identity, and ${why}`,
    {
      hint: 'give --key cosign.pub, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp], or a policy.yaml scope whose signatures name a key or identity',
    },
  );
}

/** Every blob the verified digest covers, rehashed; a damaged store copy says how to mend it. */
async function checkContent(
  at: Located,
  signal: AbortSignal | undefined,
  walkLimits: Partial<WalkLimits>,
): Promise<GraphCheck> {
  try {
    return await checkGraphContent(at.target, at.descriptor, { signal, walkLimits });
  } catch (e) {
    if (
      at.where === 'store' &&
      (isScrydonError(e, 'digest_mismatch') || isScrydonError(e, 'size_mismatch') || isScrydonError(e, 'blob_missing'))
    ) {
      throw new ScrydonError(e.code, e.message, {
        cause: e,
        hint: "the store's copy is damaged: run scrydon check, then pull or load the pack again",
      });
    }
    throw e;
  }
}

/**
 * `scrydon verify REF`: the signatures of what `at` holds, offline, against the named key or identity or else the
 * policy's rule for the name; the content the digest covers rehashed; a receipt recorded in the store.
 */
export async function verifyReference(ref: string, at: Located, o: VerifyRefOptions): Promise<VerifyReport> {
  if (at.byTag) o.onInfo(`${ref} resolves to ${at.descriptor.digest}; that digest is what is verified`);
  // a signature vouches for a digest; the store's bytes must still be what that digest names
  const content = (o.checkContent ?? at.where === 'store') ? await checkContent(at, o.signal, o.walkLimits) : undefined;
  const legacyRefs = await at.legacyRefs(at.descriptor);
  const run = (requirement: VerifyRequirement) =>
    verifySignatures(at.target, at.descriptor, {
      requirement,
      trust: o.trust,
      annotations: o.annotations,
      ...(o.predicateType ? { predicateType: o.predicateType } : {}),
      legacyRefs,
      signal: o.signal,
      walkLimits: o.walkLimits,
    });
  let result: VerifyResult;
  let rule: string | undefined;
  if (o.requirement) result = await run(o.requirement);
  else {
    // no --key or identity: the policy says whom to trust for this name
    const name = at.where === 'store' ? await storeRepositoryFor(await o.store(), ref, at.descriptor) : policyName(ref);
    const e = await enforce(o.policy, o.policySource, ref, run, name, { strict: true });
    for (const w of e.warnings) o.onWarn(w);
    rule = e.rule;
    // exit 0 means a signature was verified: with nothing to verify against, that cannot be said
    if (e.outcome !== 'verified') throw nothingToVerifyAgainst(ref, name, e.outcome, rule, o.policySource);
    result = e.result;
  }
  // the receipt is a record for inspect and serve: a store on read-only media still verifies
  if (at.where === 'store') {
    await appendReceipts((await o.store()).paths.root, receiptsFor(result, ref, rule ?? COMMAND_LINE_RULE)).catch(
      (e: unknown) => {
        const refused = refusalError(e);
        if (!isScrydonError(refused)) throw e;
        o.onWarn(`the verification was not recorded: ${refused.message}`);
      },
    );
  }
  return {
    reference: ref,
    where: at.where,
    outcome: 'verified',
    ...(rule ? { rule } : {}),
    ...result,
    trustRoot: result.trustRoot ?? null,
    content: content ? { checked: true, ...content } : { checked: false },
  };
}
