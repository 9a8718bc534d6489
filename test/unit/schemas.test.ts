import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEMAS, schemaAjv, schemaProblems, type SchemaName } from '../../src/config/schema.js';

test('every schema of catalog-spec/ is valid JSON Schema 2020-12 and compiles (runs skip this check)', () => {
  const ajv = schemaAjv(true);
  for (const [name, s] of Object.entries(SCHEMAS)) {
    const schema = ajv.getSchema(s.id);
    assert.ok(schema, `${name}: ${s.id} compiles`);
    assert.equal(ajv.validateSchema(schema.schema), true, `${name}: ${JSON.stringify(ajv.errors)}`);
  }
});

test('validators compile on demand and still judge: every schema refuses an unknown top-level key', () => {
  for (const name of Object.keys(SCHEMAS) as SchemaName[]) {
    const problems = schemaProblems(name, { 'no-such-key': 1 });
    assert.ok(problems.length > 0, `${name} refuses an unknown key`);
  }
});
