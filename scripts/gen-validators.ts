/**
 * Writes the schema validators (run by `npm run build` after tsc, before anything imports src/): ajv's standalone
 * code for catalog-spec/*.schema.json as dist/src/config/schema-validators.js (src/config/schema-validators.d.ts
 * declares it; tsc never writes that file), so no run compiles a schema. test/unit/schemas.test.ts fails when the
 * file is stale against the schemas.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatorsModule } from '../src/config/schema-compile.js';

/** The repository root (this file runs as dist/scripts/gen-validators.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(ROOT, 'dist', 'src', 'config', 'schema-validators.js');
await writeFile(target, validatorsModule());
