import { ScrydonError } from '../errors.js';

/**
 * cosign's identity semantics, in our own code (sigstore-js's policy treats an exact SAN as an unanchored
 * RegExp): `exact` compares whole strings; `regexp` is unanchored, as cosign's Go RE2 `MatchString` is, so
 * write `^…$` to anchor it.
 */
export type Matcher = { kind: 'exact'; value: string } | { kind: 'regexp'; pattern: string; re: RegExp };

/** Constructs JS accepts and RE2 does not (lookaround, backreferences): refused, so a policy means the same in cosign. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

export function exact(value: string): Matcher {
  return { kind: 'exact', value };
}

export function regexp(pattern: string, flag: string): Matcher {
  if (NOT_RE2.test(pattern)) {
    throw new ScrydonError(
      'usage',
      `${flag} "${pattern}" uses lookaround or a backreference, which cosign's RE2 does not support`,
    );
  }
  try {
    return { kind: 'regexp', pattern, re: new RegExp(pattern, 'u') };
  } catch (e) {
    throw new ScrydonError('usage', `${flag} "${pattern}" is not a valid regular expression: ${(e as Error).message}`);
  }
}

function matches(m: Matcher, value: string): boolean {
  return m.kind === 'exact' ? value === m.value : m.re.test(value);
}

function describeMatcher(m: Matcher): string {
  return m.kind === 'exact' ? `"${m.value}"` : `/${m.pattern}/ (unanchored)`;
}

export interface IdentityRequirement {
  identity: Matcher;
  issuer: Matcher;
}

/** The certificate identity matching `req`: some SAN matches, and the issuer matches. Returns the SAN that matched. */
export function matchIdentity(
  sans: readonly string[],
  issuer: string | undefined,
  req: IdentityRequirement,
  where: string,
): string {
  const san = sans.find((s) => matches(req.identity, s));
  if (san === undefined) {
    throw new ScrydonError(
      'identity_mismatch',
      `${where}: no identity of the signing certificate (${sans.map((s) => `"${s}"`).join(', ') || 'none'}) matches ${describeMatcher(req.identity)}`,
      {
        hint:
          req.identity.kind === 'exact'
            ? 'an exact --certificate-identity must equal a SAN in full'
            : 'check the pattern; anchor it with ^…$',
      },
    );
  }
  if (issuer === undefined || !matches(req.issuer, issuer)) {
    throw new ScrydonError(
      'issuer_mismatch',
      `${where}: the certificate's OIDC issuer ${issuer === undefined ? '(none)' : `"${issuer}"`} does not match ${describeMatcher(req.issuer)}`,
    );
  }
  return san;
}
