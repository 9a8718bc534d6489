import semver from 'semver';
import type { AttestationPolicySpec, MatcherSpec } from '../config/attestation-policy.js';
import { ScrydonError } from '../errors.js';
import { FulcioOid, type FulcioClaims } from './fulcio-extensions.js';
import { regexp } from './identity.js';

/** A compiled matcher: exact (whole value), regexp (unanchored, RE2-compatible) or semver range. */
export type ValueMatcher =
  | { kind: 'exact'; value: string | number | boolean }
  | { kind: 'regexp'; pattern: string; re: RegExp }
  | { kind: 'semver'; range: string };

type ClaimName = keyof typeof FulcioOid;

/** What an attestation must say beyond its signature: the Fulcio claims of its certificate, fields of its predicate. */
export interface AttestationRules {
  predicateType?: string;
  certificate: Partial<Record<ClaimName, ValueMatcher>>;
  predicate: Array<{ path: string; matcher: ValueMatcher }>;
}

export function compileMatcher(m: MatcherSpec, where: string): ValueMatcher {
  if (m.exact !== undefined) return { kind: 'exact', value: m.exact };
  if (m.semver !== undefined) {
    if (semver.validRange(m.semver) === null)
      throw new ScrydonError('policy_invalid', `${where}: "${m.semver}" is not a semver range`);
    return { kind: 'semver', range: m.semver };
  }
  try {
    const r = regexp(m.regexp ?? '', where);
    return r.kind === 'regexp' ? r : { kind: 'exact', value: r.value };
  } catch (e) {
    throw new ScrydonError('policy_invalid', (e as Error).message, { cause: e });
  }
}

/** The rules a policy file states (already schema-checked), compiled. */
export function rulesFromPolicy(
  p: Pick<AttestationPolicySpec, 'predicateType' | 'certificate' | 'predicate'>,
  file: string,
): AttestationRules {
  const certificate: AttestationRules['certificate'] = {};
  for (const [name, m] of Object.entries(p.certificate ?? {}))
    if (Object.hasOwn(FulcioOid, name))
      certificate[name as ClaimName] = compileMatcher(m, `${file}: certificate.${name}`);
  return {
    ...(p.predicateType !== undefined ? { predicateType: p.predicateType } : {}),
    certificate,
    predicate: (p.predicate ?? []).map((r, i) => ({
      path: r.path,
      matcher: compileMatcher(r, `${file}: predicate[${i}] (${r.path})`),
    })),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The workflow a GitHub signer URI names, any ref: `https://github.com/OWNER/REPO/.github/workflows/F.yml@…`. */
export function workflowMatcher(workflow: string): ValueMatcher {
  const uri = /^[a-z]+:\/\//.test(workflow) ? workflow : `https://github.com/${workflow.replace(/^\/+/, '')}`;
  const pattern = `^${escapeRegExp(uri)}@`;
  return { kind: 'regexp', pattern, re: new RegExp(pattern, 'u') };
}

function describeMatcher(m: ValueMatcher): string {
  if (m.kind === 'exact') return JSON.stringify(m.value);
  return m.kind === 'regexp' ? `/${m.pattern}/ (unanchored)` : `semver ${m.range}`;
}

export function matches(m: ValueMatcher, v: unknown): boolean {
  if (m.kind === 'exact') return v === m.value;
  if (typeof v !== 'string') return false;
  if (m.kind === 'regexp') return m.re.test(v);
  // a version as tags write it (`v1.2.3`) is that version; anything else that is not a semantic version fails
  const version = semver.valid(v.replace(/^v(?=\d)/, ''));
  return version !== null && semver.satisfies(version, m.range, { includePrerelease: true });
}

/** The value at a dotted path (`a.b.0.c`: a number segment indexes an array); undefined when absent. */
export function valueAt(root: unknown, path: string): unknown {
  let cur = root;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) cur = cur[Number(seg)];
    else if (typeof cur === 'object' && cur !== null && !Array.isArray(cur) && Object.hasOwn(cur, seg))
      cur = (cur as Record<string, unknown>)[seg];
    else return undefined;
  }
  return cur;
}

function shown(v: unknown): string {
  return v === undefined ? 'absent' : JSON.stringify(v).slice(0, 200);
}

/** Checks the certificate's Fulcio claims (undefined: signed with a key) against the rules. */
export function checkCertificateClaims(claims: FulcioClaims | undefined, rules: AttestationRules, where: string): void {
  for (const [name, m] of Object.entries(rules.certificate) as Array<[ClaimName, ValueMatcher]>) {
    if (!claims)
      throw new ScrydonError(
        'certificate_mismatch',
        `${where}: signed with a key, so it carries no certificate claim ${name} (${FulcioOid[name]})`,
        { hint: 'certificate rules apply to keyless attestations; verify this one with --key and no such rule' },
      );
    const v = claims[name];
    if (!matches(m, v))
      throw new ScrydonError(
        'certificate_mismatch',
        `${where}: the certificate's ${name} (${FulcioOid[name]}) is ${shown(v)}, which does not match ${describeMatcher(m)}`,
      );
  }
}

/** Checks the predicate's fields against the rules. */
export function checkPredicate(predicate: unknown, rules: AttestationRules, where: string): void {
  for (const r of rules.predicate) {
    const v = valueAt(predicate, r.path);
    if (!matches(r.matcher, v))
      throw new ScrydonError(
        'predicate_mismatch',
        `${where}: predicate field ${r.path} is ${shown(v)}, which does not match ${describeMatcher(r.matcher)}`,
      );
  }
}
