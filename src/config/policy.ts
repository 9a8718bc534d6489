import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';

/** A keyless signer (a Fulcio certificate), named as cosign's verify flags name it. */
export interface KeylessSigner {
  kind: 'cosign-keyless';
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
}

/** A signer holding a static key pair (cosign generate-key-pair): its public key in PEM. */
export interface KeySigner {
  kind: 'cosign-key';
  publicKey: string;
}

/** One signature requirement, in the same form a scrydon.yaml source states it (catalog-spec). */
export interface SignatureSpec {
  kind: 'cosign-keyless' | 'cosign-key' | 'none';
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  publicKey?: string;
}

export interface PolicyScope {
  name: string;
  match: string;
  signatures: SignatureSpec[];
}

export type Profile = 'secure' | 'permissive' | 'disabled';

/** `$SCRYDON_HOME/policy.yaml` (catalog-spec/policy.schema.json). */
export interface SecurityPolicy {
  apiVersion: 'scrydon.io/v1';
  kind: 'SecurityPolicy';
  profile: Profile;
  allowedRegistries?: string[];
  scopes?: PolicyScope[];
}

/** With no policy.yaml: permissive, every registry allowed, no scope (verification only when asked for). */
const DEFAULT_POLICY: SecurityPolicy = { apiVersion: 'scrydon.io/v1', kind: 'SecurityPolicy', profile: 'permissive' };

interface LoadedPolicy {
  policy: SecurityPolicy;
  /** The file it came from, or undefined for the default. */
  source: string | undefined;
}

/** Reads and validates the policy file; the default policy when it does not exist. */
export async function loadPolicy(path: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { policy: DEFAULT_POLICY, source: undefined };
    throw new ScrydonError('io_error', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  // the YAML and schema machinery is loaded only where a policy.yaml exists
  const [{ describeProblems }, { parseYamlText }, { schemaProblems }, { validate }] = await Promise.all([
    import('./locate.js'),
    import('./yaml-locate.js'),
    import('./schema.js'),
    import('./validators/policy.js'),
  ]);
  const parsed = parseYamlText(text);
  const problems = parsed.problems.length ? parsed.problems : schemaProblems(validate, parsed.value, parsed.locate);
  if (problems.length) {
    throw new ScrydonError('policy_invalid', describeProblems(path, problems), {
      hint: 'see catalog-spec/policy.schema.json',
    });
  }
  return { policy: parsed.value as SecurityPolicy, source: path };
}
