import validVersion from 'semver/functions/valid.js';
import validRange from 'semver/ranges/valid.js';
import { ScrydonError } from '../errors.js';
import {
  describeProblems,
  noLocator,
  parseJsonText,
  sortProblems,
  toPointer,
  type Locator,
  type Problem,
} from '../config/locate.js';
import type { PackJson } from './pack-json.js';
import { schemaProblems } from '../config/schema.js';
import { validate as packSchema } from '../config/validators/pack.js';

/**
 * pack.json validation: catalog-spec/pack.schema.json plus the rules a schema cannot state (semver parses,
 * installOrder lists exactly the kinds in contents, content paths unique, integration entries are bundles).
 * Pure: values in, problems out. Reading files and checking them against the pack directory is pack-dir.ts.
 */

/** Every problem of a pack.json value; empty when it is valid. */
export function checkPackJson(value: unknown, locate: Locator = noLocator): Problem[] {
  const problems = schemaProblems(packSchema, value, locate);
  if (isRecord(value)) {
    const fromSchema = [...problems];
    const add = (path: string, message: string, key?: string): void => {
      if (fromSchema.some((p) => p.path === path || p.path.startsWith(path + '/'))) return; // the schema already spoke
      const line = locate(path, key);
      problems.push({ path, ...(line !== undefined ? { line } : {}), message });
    };
    ruleProblems(value, add);
  }
  return sortProblems(problems);
}

type Add = (path: string, message: string, key?: string) => void;

function ruleProblems(v: Record<string, unknown>, add: Add): void {
  const pkg = isRecord(v.package) ? v.package : {};
  if (typeof pkg.version === 'string' && validVersion(pkg.version) === null) {
    add('/package/version', `${JSON.stringify(pkg.version)} is not a semver version the semver package accepts`);
  }
  const contents = Array.isArray(v.contents) ? (v.contents as unknown[]) : [];
  const kinds = new Set<string>();
  const paths = new Map<string, number>();
  contents.forEach((c, i) => {
    if (!isRecord(c)) return;
    if (typeof c.kind === 'string') kinds.add(c.kind);
    if (typeof c.path !== 'string') return;
    const at = toPointer(['contents', i, 'path']);
    const first = paths.get(c.path);
    if (first !== undefined) add(at, `${JSON.stringify(c.path)} is already the path of contents[${first}]`);
    else paths.set(c.path, i);
    if (c.path === 'pack.json') add(at, 'pack.json is the pack description, not content');
    if (c.kind === 'integration' && !/\.(?:tar\.gz|tgz)$/.test(c.path)) {
      add(at, `an integration is a bundle file; ${JSON.stringify(c.path)} does not end in .tar.gz`);
    }
  });
  if (Array.isArray(v.installOrder)) {
    const order = (v.installOrder as unknown[]).filter((k): k is string => typeof k === 'string');
    const missing = [...kinds].filter((k) => !order.includes(k));
    const extra = order.filter((k) => !kinds.has(k));
    if (missing.length > 0) add('/installOrder', `must list every kind in contents; missing ${quoteList(missing)}`);
    if (extra.length > 0) add('/installOrder', `lists ${quoteList(extra)}, which no contents entry has`);
  }
  if (isRecord(v.dependencies)) {
    for (const [id, range] of Object.entries(v.dependencies)) {
      const at = toPointer(['dependencies', id]);
      if (typeof range === 'string' && validRange(range) === null)
        add(at, `${JSON.stringify(range)} is not a semver range (like ^1.0.0)`);
      if (id === pkg.id) add('/dependencies', `the pack depends on itself (${id})`, id);
    }
  }
}

/** Parses pack.json text (with line positions) and checks it. `value` is set only when there are no problems. */
export function checkPackJsonText(text: string): { value: PackJson | undefined; problems: Problem[] } {
  const parsed = parseJsonText(text);
  if (parsed.problems.length > 0) return { value: undefined, problems: parsed.problems };
  const problems = checkPackJson(parsed.value, parsed.locate);
  return { value: problems.length === 0 ? (parsed.value as PackJson) : undefined, problems };
}

/** Validates a pack.json value; throws `pack_invalid` listing every problem. `source` names it (a file, a layer). */
export function validatePackJson(value: unknown, source: string): PackJson {
  const problems = checkPackJson(value);
  if (problems.length > 0) throw packInvalid(source, problems);
  return value as PackJson;
}

/** Parses and validates pack.json text; the error names each problem's key path and line. */
export function parsePackJsonText(text: string, source: string): PackJson {
  const { value, problems } = checkPackJsonText(text);
  if (value === undefined) throw packInvalid(source, problems);
  return value;
}

export function packInvalid(source: string, problems: readonly Problem[]): ScrydonError {
  return new ScrydonError('pack_invalid', describeProblems(source, problems), {
    hint: 'fix pack.json (the format is catalog-spec/pack.schema.json); scrydon validate DIR lists every problem',
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function quoteList(xs: readonly string[]): string {
  return xs.map((x) => `'${x}'`).join(', ');
}
