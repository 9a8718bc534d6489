import { loadPolicy, type SecurityPolicy } from '../config/policy.js';
import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import type { PackRef } from '../pack/read.js';
import { storeLegacyRefs, storeRepositoryFor } from '../signature/locations.js';
import { enforce, type Enforcement } from '../signature/policy-engine.js';
import { loadTrustRoot } from '../signature/trust-store.js';
import type { LoadedTrust, VerifyRequirement, VerifyResult } from '../signature/verify.js';
import type { Store } from '../store/store-target.js';

/**
 * Verify before install, whoever installs: installPack takes an Admission and nothing else lets it run. An
 * Admission is made here only, in one of two ways, both through the signature layer's policy engine:
 * - storePolicyAdmission: the store's policy.yaml (secure / permissive / disabled), which installPack applies to
 *   the very digest it is about to install (`scrydon install`, library callers);
 * - admitUnderPolicy: a policy applied now to one digest (reconcile, under the source's policy), which
 *   installPack then accepts for that digest only.
 * installPack refuses an object this module did not make, and an admission for another digest.
 */
declare const admitted: unique symbol;
export interface Admission {
  readonly [admitted]: true;
  /** What admits the pack: `policy FILE` or the rule a policy matched. */
  readonly by: string;
}

type Gate =
  | ({ kind: 'store-policy' } & StorePolicyFiles)
  | { kind: 'digest'; digest: string; storePolicy: StorePolicyFiles | undefined };

const gates = new WeakMap<object, Gate>();

function issue(by: string, gate: Gate): Admission {
  const a = Object.freeze({ by });
  gates.set(a, gate);
  return a as unknown as Admission;
}

export interface StorePolicyFiles {
  /** `$SCRYDON_HOME/policy.yaml`; when it does not exist, nothing is verified (the default policy). */
  policyFile: string;
  /** `$SCRYDON_HOME/trust`: the trusted root for keyless signatures. */
  trustDir: string;
}

/** Install under the store's security policy, evaluated by installPack for the digest it installs. */
export function storePolicyAdmission(files: StorePolicyFiles): Admission {
  return issue(`policy ${files.policyFile}`, { kind: 'store-policy', ...files });
}

interface PolicyCheck extends IoOptions {
  policy: SecurityPolicy;
  /** Where the policy comes from, in messages (`source acme`, a file). */
  policySource: string;
  /** The reference as messages name it, and the name the policy's scopes match. */
  ref: string;
  name: string;
  trust: LoadedTrust | undefined;
  /**
   * The store's own policy.yaml, applied too when the admission is used: a source's policy never overrides the
   * site's (a secure policy.yaml refuses what an unsigned-allowed source would let in). Undefined only for a
   * store that has no home (a library caller's plain layout).
   */
  storePolicy: StorePolicyFiles | undefined;
}

/** `policy` applied to `d` in `store` (verify_failed when it refuses): the enforcement, and an admission of `d`. */
export async function admitUnderPolicy(
  store: Store,
  d: Descriptor,
  c: PolicyCheck,
): Promise<{ admission: Admission; enforcement: Enforcement }> {
  const enforcement = await enforce(
    c.policy,
    c.policySource,
    c.ref,
    (requirement) => verifyInStore(store, d, requirement, c.trust, c.signal),
    c.name,
  );
  return {
    admission: issue(enforcement.rule, { kind: 'digest', digest: d.digest, storePolicy: c.storePolicy }),
    enforcement,
  };
}

async function verifyInStore(
  store: Store,
  d: Descriptor,
  requirement: VerifyRequirement,
  trust: LoadedTrust | undefined,
  signal: AbortSignal | undefined,
): Promise<VerifyResult> {
  const { verifySignatures } = await import('../signature/verify.js'); // sigstore-js only when a policy asks
  return verifySignatures(store, d, { requirement, trust, legacyRefs: await storeLegacyRefs(store, d), signal });
}

interface Admitted {
  /** The digest the admission holds for; undefined when no policy file exists (nothing to hold to). */
  digest: string | undefined;
  /** The policy's warnings (permissive: not verified; disabled: nothing checked). */
  warnings: string[];
}

/** installPack's gate: checks `admission` for `ref` in `store`; throws when it is not one this module made. */
export async function applyAdmission(
  admission: Admission,
  store: Store,
  ref: PackRef,
  o: IoOptions = {},
): Promise<Admitted> {
  const gate = typeof admission === 'object' && admission !== null ? gates.get(admission) : undefined;
  if (!gate) {
    throw new ScrydonError(
      'usage',
      'installPack needs an Admission from storePolicyAdmission() or admitUnderPolicy()',
      {
        hint: 'verify before install: pass storePolicyAdmission({ policyFile, trustDir }) to apply the store policy',
      },
    );
  }
  if (gate.kind === 'digest') {
    const site = gate.storePolicy ? await storePolicyCheck(gate.storePolicy, store, gate.digest, o) : undefined;
    return { digest: gate.digest, warnings: site?.warnings ?? [] };
  }
  return (await storePolicyCheck(gate, store, ref, o)) ?? { digest: undefined, warnings: [] };
}

/** The store's policy.yaml applied to `ref` (a tag, or a descriptor); undefined when there is no policy.yaml. */
async function storePolicyCheck(
  files: StorePolicyFiles,
  store: Store,
  ref: PackRef,
  o: IoOptions,
): Promise<Admitted | undefined> {
  const { policy, source } = await loadPolicy(files.policyFile);
  if (!source) return undefined;
  const d = typeof ref === 'string' ? await store.resolve(ref) : plainDescriptor(ref);
  const name = typeof ref === 'string' ? ref : d.digest;
  const trust = await loadTrustRoot(files.trustDir);
  const { enforcement } = await admitUnderPolicy(store, d, {
    policy,
    policySource: source,
    ref: name,
    name: await storeRepositoryFor(store, name, d),
    trust,
    signal: o.signal,
    storePolicy: undefined,
  });
  return { digest: d.digest, warnings: enforcement.warnings };
}

/** The pack read is the one admitted (a tag that moved between the check and the read is refused). */
export function assertAdmitted(a: Admitted, digest: string, what: string): void {
  if (a.digest !== undefined && a.digest !== digest) {
    throw new ScrydonError('verify_failed', `${what} is ${digest}, but the admission to install was for ${a.digest}`, {
      hint: 'the reference moved while it was being verified, or the admission was made for another pack; verify and install again',
    });
  }
}
