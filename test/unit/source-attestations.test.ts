import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schemaProblems } from '../../src/config/schema.js';
import { validate as sourcesSchema } from '../../src/config/validators/sources.js';
import { isScrydonError } from '../../src/errors.js';
import { requiredAttestations } from '../../src/sources/attestation-requirements.js';
import { resolveSource, type SourcePolicy } from '../../src/sources/source-spec.js';

/** A source's required attestations (sources.schema.json `signaturePolicy.attestations`): the schema and the compiler. */

const SLSA1 = 'https://slsa.dev/provenance/v1';
const KEYLESS = {
  kind: 'cosign-keyless',
  certificateIdentityRegexp: '^https://github\\.com/acme/',
  certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
} as const;

function list(signaturePolicy: unknown): unknown {
  return {
    apiVersion: 'scrydon.io/v1',
    kind: 'SourceList',
    sources: [{ name: 'acme', type: 'oci', url: 'ghcr.io/acme/catalog', signaturePolicy }],
  };
}

test('the sources schema takes attestation rules in the policy-file form, predicateType required', () => {
  const rule = {
    predicateType: SLSA1,
    certificate: { sourceRepositoryUri: { exact: 'https://github.com/acme/fraud' } },
    predicate: [{ path: 'runDetails.builder.id', regexp: '^https://github\\.com/actions/runner/github-hosted$' }],
  };
  assert.deepEqual(schemaProblems(sourcesSchema, list({ ...KEYLESS, attestations: [rule] })), []);
  for (const bad of [
    { ...rule, predicateType: undefined },
    { ...rule, certificate: { nonsense: { exact: 'x' } } },
    { ...rule, predicate: [{ path: 'a', exact: 'x', regexp: 'x' }] },
    { ...rule, apiVersion: 'scrydon.io/v1' },
  ])
    assert.ok(schemaProblems(sourcesSchema, list({ ...KEYLESS, attestations: [bad] })).length > 0, JSON.stringify(bad));
  assert.ok(schemaProblems(sourcesSchema, list({ kind: 'unsigned-allowed', attestations: [rule] })).length > 0);
});

test('rules compile per source (regexps RE2-safe, semver ranges valid) and name the source and the rule', () => {
  const policy: SourcePolicy = {
    ...KEYLESS,
    attestations: [{ predicateType: SLSA1, predicate: [{ path: 'a.b', semver: '>=1.0.0' }] }],
  };
  const [r] = requiredAttestations(policy, { name: 'acme' });
  assert.equal(r?.rule, `attestations[0] (${SLSA1})`);
  assert.equal(r?.rules.predicate[0]?.matcher.kind, 'semver');
  for (const predicate of [[{ path: 'a', regexp: '(?<=x)y' }], [{ path: 'a', semver: 'not a range' }]])
    assert.throws(
      () => requiredAttestations({ ...KEYLESS, attestations: [{ predicateType: SLSA1, predicate }] }, { name: 'acme' }),
      (e) => isScrydonError(e, 'policy_invalid') && /source acme: attestations\[0\]/.test(e.message),
    );
});

test('attestations under unsigned-allowed are refused: they have no signer to be checked against', () => {
  assert.throws(
    () =>
      resolveSource({
        name: 'lab',
        type: 'oci',
        url: 'ghcr.io/acme/catalog',
        signaturePolicy: { kind: 'unsigned-allowed', attestations: [{ predicateType: SLSA1 }] },
      }),
    (e) => isScrydonError(e, 'policy_invalid'),
  );
});
