/**
 * Writes the schema validators (run by `npm run build` after tsc, before anything imports src/): ajv's standalone
 * code for each catalog-spec/*.schema.json as dist/src/config/validators/<name>.js (src/config/validators/<name>.d.ts
 * declares it; tsc never writes those files), so no run compiles a schema. test/unit/schemas.test.ts fails when a
 * file is stale against the schemas.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatorModules } from '../src/config/schema-compile.js';

/** The repository root (this file runs as dist/scripts/gen-validators.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(ROOT, 'dist', 'src', 'config', 'validators');
await rm(join(ROOT, 'dist', 'src', 'config', 'schema-validators.js'), { force: true }); // the one module of before
await mkdir(dir, { recursive: true });
for (const [file, code] of Object.entries(validatorModules())) await writeFile(join(dir, file), code);
