import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { SchemaName } from './schema-compile.js';

/**
 * The validator of each schema of catalog-spec/: ajv's standalone code, which `npm run build` writes as
 * dist/src/config/schema-validators.js (scripts/gen-validators.ts) before anything imports src/. There is no
 * source file for tsc to emit over it; this declaration gives its type.
 */
export declare const validators: Readonly<Record<SchemaName, ValidateFunction>>;
