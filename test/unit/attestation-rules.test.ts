import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AttestationPolicySpec } from '../../src/config/attestation-policy.js';
import { parseYamlText } from '../../src/config/yaml-locate.js';
import { schemaProblems } from '../../src/config/schema.js';
import { validate as attestationPolicySchema } from '../../src/config/validators/attestation-policy.js';
import { isScrydonError } from '../../src/errors.js';
import {
  compileMatcher,
  matches,
  rulesFromPolicy,
  valueAt,
  workflowMatcher,
} from '../../src/signature/attestation-rules.js';
import { predicateTypeOf } from '../../src/signature/predicate-types.js';
import { ROOT } from '../helpers/cli.js';

test('cosign --type names map to the URIs cosign v3 maps them to (options/predicate.go)', () => {
  assert.equal(predicateTypeOf('slsaprovenance'), 'https://slsa.dev/provenance/v0.2');
  assert.equal(predicateTypeOf('slsaprovenance02'), 'https://slsa.dev/provenance/v0.2');
  assert.equal(predicateTypeOf('slsaprovenance1'), 'https://slsa.dev/provenance/v1');
  assert.equal(predicateTypeOf('spdxjson'), 'https://spdx.dev/Document');
  assert.equal(predicateTypeOf('cyclonedx'), 'https://cyclonedx.org/bom');
  assert.equal(predicateTypeOf('custom'), 'https://cosign.sigstore.dev/attestation/v1');
  assert.equal(predicateTypeOf('custom:https://acme.example/scan/v1'), 'https://acme.example/scan/v1');
  assert.equal(predicateTypeOf('https://acme.example/x'), 'https://acme.example/x');
  assert.throws(
    () => predicateTypeOf('sbom'),
    (e) => isScrydonError(e, 'usage'),
  );
});

test('dotted paths reach into objects and arrays, and only own keys', () => {
  const v = { a: { b: [{ c: 'x' }] }, n: 3 };
  assert.equal(valueAt(v, 'a.b.0.c'), 'x');
  assert.equal(valueAt(v, 'n'), 3);
  assert.equal(valueAt(v, 'a.b.1.c'), undefined);
  assert.equal(valueAt(v, 'a.toString'), undefined);
  assert.equal(valueAt(v, 'a.__proto__'), undefined);
});

test('matchers: exact is whole and typed, regexp unanchored, semver a range over versions only', () => {
  assert.ok(matches(compileMatcher({ exact: 'a' }, 'p'), 'a'));
  assert.ok(!matches(compileMatcher({ exact: 'a' }, 'p'), 'ab'));
  assert.ok(!matches(compileMatcher({ exact: 1 }, 'p'), '1'));
  assert.ok(matches(compileMatcher({ regexp: 'acme/' }, 'p'), 'https://github.com/acme/app'));
  assert.ok(!matches(compileMatcher({ regexp: '^acme/' }, 'p'), 'https://github.com/acme/app'));
  const range = compileMatcher({ semver: '>=1.2.0 <2' }, 'p');
  assert.ok(matches(range, '1.4.0'));
  assert.ok(matches(range, 'v1.2.0'));
  assert.ok(!matches(range, '2.0.0'));
  assert.ok(!matches(range, 'latest'));
  assert.ok(!matches(range, undefined));
  assert.throws(
    () => compileMatcher({ semver: 'not a range' }, 'p'),
    (e) => isScrydonError(e, 'policy_invalid'),
  );
  assert.throws(
    () => compileMatcher({ regexp: '(?=x)' }, 'p'),
    (e) => isScrydonError(e, 'policy_invalid'),
  );
});

test('a signer workflow matches its URI at any ref, and nothing longer', () => {
  const m = workflowMatcher('acme/app/.github/workflows/release.yml');
  assert.ok(matches(m, 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1'));
  assert.ok(!matches(m, 'https://github.com/acme/app/.github/workflows/release.yml.evil@refs/tags/v1'));
  assert.ok(!matches(m, 'https://github.com/acme/app2/.github/workflows/release.yml@refs/tags/v1'));
});

test("catalog-spec's example policies conform to attestation-policy.schema.json and compile", async () => {
  for (const f of ['attestation-policy.yaml', 'sbom-policy.yaml']) {
    const path = join(ROOT, 'catalog-spec', 'examples', f);
    const parsed = parseYamlText(await readFile(path, 'utf8'));
    assert.deepEqual(parsed.problems, [], f);
    assert.deepEqual(schemaProblems(attestationPolicySchema, parsed.value, parsed.locate), [], f);
    const rules = rulesFromPolicy(parsed.value as AttestationPolicySpec, f);
    assert.ok(rules.predicate.length > 0, f);
  }
  const bad = parseYamlText(
    'apiVersion: scrydon.io/v1\nkind: AttestationPolicy\npredicate:\n  - path: a\n    exact: 1\n    regexp: x\n',
  );
  assert.ok(schemaProblems(attestationPolicySchema, bad.value, bad.locate).length > 0, 'two matchers in one rule');
});
