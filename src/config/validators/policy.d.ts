import type { ValidateFunction } from 'ajv/dist/2020.js';

/** The policy schema's validator: ajv's standalone code, written by `npm run build` (scripts/gen-validators.ts). */
export declare const validate: ValidateFunction;
