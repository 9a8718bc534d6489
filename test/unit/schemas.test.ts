import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { schemaProblems } from '../../src/config/schema.js';
import { SCHEMAS, schemaAjv, validatorModules } from '../../src/config/schema-compile.js';
import { validate as attestationPolicy } from '../../src/config/validators/attestation-policy.js';
import { validate as catalog } from '../../src/config/validators/catalog.js';
import { validate as pack } from '../../src/config/validators/pack.js';
import { validate as policy } from '../../src/config/validators/policy.js';
import { validate as sources } from '../../src/config/validators/sources.js';

test('every schema of catalog-spec/ is valid JSON Schema 2020-12 and compiles (runs skip this check)', () => {
  const ajv = schemaAjv({ checkSchemas: true });
  for (const [name, s] of Object.entries(SCHEMAS)) {
    const schema = ajv.getSchema(s.id);
    assert.ok(schema, `${name}: ${s.id} compiles`);
    assert.equal(ajv.validateSchema(schema.schema), true, `${name}: ${JSON.stringify(ajv.errors)}`);
  }
});

test('the generated validators judge: every schema refuses an unknown top-level key', () => {
  const generated = { pack, catalog, policy, sources, attestationPolicy };
  assert.deepEqual(Object.keys(generated).sort(), Object.keys(SCHEMAS).sort(), 'a validator per schema');
  for (const [name, validate] of Object.entries(generated)) {
    const problems = schemaProblems(validate, { 'no-such-key': 1 });
    assert.ok(problems.length > 0, `${name} refuses an unknown key`);
  }
});

test('the generated validators are the schemas of catalog-spec/ as they are now (rebuild after editing a schema)', () => {
  for (const [file, code] of Object.entries(validatorModules())) {
    const built = readFileSync(new URL(`../../src/config/validators/${file}`, import.meta.url), 'utf8');
    assert.ok(built === code, `dist/src/config/validators/${file} is stale: run npm run build`);
  }
});
