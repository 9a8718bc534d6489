import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { editDistance } from '../names/nearest.js';
import { noLocator, type Locator, type Problem } from './locate.js';

/**
 * The JSON Schemas of catalog-spec/ judge values with the validators `npm run build` generated from them
 * (schema-compile.ts: ajv's standalone code, allErrors; one module per schema), and ajv's errors are turned into problems a person can
 * act on: `unknown key 'verison' (did you mean 'version'?)`, with the line. A schema may carry `x-message` next to
 * a keyword; it replaces ajv's generic text for that keyword.
 */

/**
 * Every violation of `value` against the schema `validate` was generated from (the caller imports its own:
 * `validate` of ./validators/pack.js and the like), located with `locate`. Empty when the value conforms.
 */
export function schemaProblems(validate: ValidateFunction, value: unknown, locate: Locator = noLocator): Problem[] {
  if (validate(value)) return [];
  return translate(validate.errors ?? [], locate);
}

function translate(errors: readonly ErrorObject[], locate: Locator): Problem[] {
  // an anyOf/oneOf failure speaks for the branches under it, a propertyNames failure for the errors about
  // the name (ajv marks those with `propertyName`); `if` failures are not problems
  const parents = errors.filter((e) => ['anyOf', 'oneOf'].includes(e.keyword)).map((e) => e.schemaPath + '/');
  const out: Problem[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || nameError(e) !== undefined || parents.some((p) => e.schemaPath.startsWith(p))) continue;
    const { path, key, message } = describe(e, errors);
    const line = locate(path, key);
    out.push({ path, ...(line !== undefined ? { line } : {}), message });
  }
  return out;
}

interface Described {
  path: string;
  key?: string;
  message: string;
}

function describe(e: ErrorObject, all: readonly ErrorObject[]): Described {
  const path = e.instancePath;
  const custom = xMessage(e.parentSchema);
  const params = e.params as Record<string, unknown>;
  const shown = show(e.data);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = knownKeys(e.parentSchema);
      const near = closest(key, known);
      return { path, key, message: `unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ''}` };
    }
    case 'required':
      return { path, message: `missing required key '${String(params.missingProperty)}'` };
    case 'propertyNames': {
      const name = String(params.propertyName);
      const inner = all.find(
        (x) => x.instancePath === e.instancePath && nameError(x) === name && xMessage(x.parentSchema),
      );
      const why = inner ? xMessage(inner.parentSchema) : 'is not an allowed key here';
      return { path, key: name, message: `key '${name}' ${why}` };
    }
    case 'type': {
      const want = String(params.type);
      const got = typeName(e.data);
      const scalar = got === 'number' || got === 'boolean';
      const quote = want === 'string' && scalar ? ` (quote it in YAML: "${String(e.data)}")` : '';
      return {
        path,
        message: `must be ${article(want)} ${want}, not ${scalar ? `the ${got} ${String(e.data)}` : `${article(got)} ${got}`}${quote}`,
      };
    }
    case 'const':
      return { path, message: `must be ${show(params.allowedValue)}${e.data === undefined ? '' : `, not ${shown}`}` };
    case 'enum':
      return { path, message: `${shown} is not one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'uniqueItems': {
      const arr = Array.isArray(e.data) ? (e.data as unknown[]) : [];
      return { path, message: `lists ${show(arr[Number(params.j)])} twice` };
    }
    case 'minItems':
      return {
        path,
        message: Number(params.limit) === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items`,
      };
    case 'maxItems':
      return { path, message: `must have at most ${String(params.limit)} items` };
    case 'minLength':
      return {
        path,
        message:
          Number(params.limit) === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
      };
    case 'maxLength':
      return { path, message: `is longer than ${String(params.limit)} characters` };
    case 'maxProperties':
      return { path, message: `must have at most ${String(params.limit)} keys` };
    case 'not':
      return { path, message: custom ?? 'is not allowed here' };
    case 'anyOf':
    case 'oneOf':
      return { path, message: custom ?? 'does not match any allowed form' };
    default:
      return { path, message: custom ? `${shown} ${custom}` : (e.message ?? `fails ${e.keyword}`) };
  }
}

/** The property name an error is about, when it comes from inside a propertyNames schema. */
function nameError(e: ErrorObject): string | undefined {
  const n = (e as ErrorObject & { propertyName?: unknown }).propertyName;
  return typeof n === 'string' ? n : undefined;
}

function xMessage(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const m = (schema as Record<string, unknown>)['x-message'];
  return typeof m === 'string' ? m : undefined;
}

function knownKeys(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const props = (schema as { properties?: unknown }).properties;
  return typeof props === 'object' && props !== null ? Object.keys(props) : [];
}

/** The known key nearest to a typo (edit distance at most 2, or a case difference). */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= Math.min(2, Math.max(1, Math.floor(key.length / 3))) ? best : undefined;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'number';
  return typeof v;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function show(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
