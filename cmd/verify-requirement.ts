import { ScrydonError } from '../src/errors.js';
import { exact, regexp, type Matcher } from '../src/signature/identity.js';
import type { VerifyRequirement } from '../src/signature/verify.js';
import type { Argv } from 'yargs';
import type { Context } from './context.js';
import { loadPublicKey } from './signature-options.js';

/** The identity flags of verify and verify-attestation (cosign's names). */
interface IdentityArgs {
  'certificate-identity'?: string | undefined;
  'certificate-identity-regexp'?: string | undefined;
  'certificate-oidc-issuer'?: string | undefined;
  'certificate-oidc-issuer-regexp'?: string | undefined;
}

function matcher(exactValue: string | undefined, pattern: string | undefined, flag: string): Matcher | undefined {
  if (exactValue !== undefined && pattern !== undefined)
    throw new ScrydonError('usage', `give --${flag} or --${flag}-regexp, not both`);
  if (exactValue !== undefined) return exact(exactValue);
  return pattern !== undefined ? regexp(pattern, `--${flag}-regexp`) : undefined;
}

/** The explicit requirement of the flags, or undefined when none is given (the policy then decides). */
export async function requirementFromFlags(
  key: string | undefined,
  a: IdentityArgs,
  ctx: Context,
): Promise<VerifyRequirement | undefined> {
  const identity = matcher(a['certificate-identity'], a['certificate-identity-regexp'], 'certificate-identity');
  const issuer = matcher(a['certificate-oidc-issuer'], a['certificate-oidc-issuer-regexp'], 'certificate-oidc-issuer');
  if (key !== undefined) {
    if (identity || issuer)
      throw new ScrydonError('usage', '--key and --certificate-* are two ways to verify; give one');
    return { kind: 'key', key: await loadPublicKey(key, ctx) };
  }
  if (!identity && !issuer) return undefined;
  if (!identity || !issuer) {
    throw new ScrydonError(
      'usage',
      'keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]',
      {
        hint: "regexps are unanchored, as cosign's (RE2) are: write '^https://github\\.com/acme/.*$'",
      },
    );
  }
  return { kind: 'keyless', identity: { identity, issuer } };
}

/** @public (named in the commands' declared types) */
export interface VerifierArgs extends IdentityArgs {
  key?: string | undefined;
  'trusted-root'?: string | undefined;
}

/** Whom to trust (a key, or a certificate identity and issuer) and the trusted root: verify's and verify-attestation's flags. */
export function verifierFlags<T>(y: Argv<T>): Argv<T & VerifierArgs> {
  return y
    .option('key', {
      type: 'string',
      describe: 'public key: a path (cosign.pub), env://NAME, or a PEM certificate',
    })
    .option('certificate-identity', {
      type: 'string',
      describe: 'a SAN of the signing certificate must equal this exactly',
    })
    .option('certificate-identity-regexp', {
      type: 'string',
      describe:
        "a SAN must match this regexp; unanchored, as cosign's RE2 is: anchor it, '^https://github\\.com/acme/.*$'",
    })
    .option('certificate-oidc-issuer', {
      type: 'string',
      describe: "the certificate's OIDC issuer must equal this exactly",
    })
    .option('certificate-oidc-issuer-regexp', {
      type: 'string',
      describe: 'the issuer must match this regexp (unanchored, as in cosign: anchor it with ^…$)',
    })
    .option('trusted-root', {
      type: 'string',
      describe: 'use this trusted_root.json instead of the imported one',
    }) as unknown as Argv<T & VerifierArgs>;
}
