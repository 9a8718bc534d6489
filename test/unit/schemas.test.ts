import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { schemaProblems } from '../../src/config/schema.js';
import { SCHEMAS, schemaAjv, validatorsModule, type SchemaName } from '../../src/config/schema-compile.js';

test('every schema of catalog-spec/ is valid JSON Schema 2020-12 and compiles (runs skip this check)', () => {
  const ajv = schemaAjv({ checkSchemas: true });
  for (const [name, s] of Object.entries(SCHEMAS)) {
    const schema = ajv.getSchema(s.id);
    assert.ok(schema, `${name}: ${s.id} compiles`);
    assert.equal(ajv.validateSchema(schema.schema), true, `${name}: ${JSON.stringify(ajv.errors)}`);
  }
});

test('the generated validators judge: every schema refuses an unknown top-level key', () => {
  for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
    const problems = schemaProblems(name, { 'no-such-key': 1 });
    assert.ok(problems.length > 0, `${name} refuses an unknown key`);
  }
});

test('the generated validators are the schemas of catalog-spec/ as they are now (rebuild after editing a schema)', () => {
  const built = readFileSync(new URL('../../src/config/schema-validators.js', import.meta.url), 'utf8');
  assert.ok(built === validatorsModule(), 'dist/src/config/schema-validators.js is stale: run npm run build');
});
