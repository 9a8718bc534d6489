import type { Argv } from 'yargs';
import type { CommandDef } from './define-command.js';

/**
 * The start-up fast path: loading yargs costs a run about 0.15–0.2 s on a small machine (a tenth of a 256 MiB
 * pull), so a plain command line is parsed here, from the same builders, into the same arguments object yargs
 * would give. Anything this parser is not certain to read exactly as yargs does (help, version, usage errors,
 * unknown or repeated flags, bundled short flags, `--`, a value that looks like a flag, a boolean followed by
 * true/false) returns undefined, and main.ts hands the line to yargs, which answers as it always has.
 * test/unit/fast-argv.test.ts checks both agree on every command's examples and on tricky lines.
 */

export interface OptionSpec {
  type?: unknown;
  alias?: string | readonly string[];
  default?: unknown;
  array?: boolean;
  choices?: readonly unknown[];
  demandOption?: unknown;
  describe?: string;
}

/** Records what a builder declares; stands in for yargs' Argv inside builders (only these calls are used). */
export class SpecRecorder {
  readonly options = new Map<string, OptionSpec>();
  readonly positionals = new Map<string, OptionSpec>();

  option(name: string, spec: OptionSpec): this {
    this.options.set(name, spec);
    return this;
  }

  positional(name: string, spec: OptionSpec): this {
    this.positionals.set(name, spec);
    return this;
  }
}

/** The options main.ts declares for every command. */
export const GLOBAL_OPTIONS: ReadonlyArray<
  readonly [string, { type: 'boolean' | 'string'; default?: boolean; describe: string; alias?: string }]
> = [
  ['json', { type: 'boolean', default: false, describe: 'print machine-readable JSON on stdout' }],
  ['quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' }],
  ['debug', { type: 'boolean', default: false, describe: 'show stack traces on errors' }],
  ['color', { type: 'boolean', default: true, describe: 'colour on a TTY (NO_COLOR also turns it off)' }],
  [
    'timeout',
    {
      type: 'string',
      describe: 'give up after this long, whatever is in flight: 90s, 10m, 1h (default: SCRYDON_TIMEOUT, else none)',
    },
  ],
];

const TYPES: ReadonlySet<unknown> = new Set(['string', 'boolean', 'number']);

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function aliasesOf(spec: OptionSpec): string[] {
  return spec.alias === undefined ? [] : typeof spec.alias === 'string' ? [spec.alias] : [...spec.alias];
}

/** A token yargs would read as a flag (so never as a value). Negative numbers are left to yargs too. */
function looksLikeFlag(t: string): boolean {
  return t.startsWith('-') && t !== '-';
}

/** The positional slots of a command string: `pull <ref>`, `push <ref> [target]`, `rm <refs..>`. */
export function slotsOf(command: string): Array<{ name: string; required: boolean; variadic: boolean }> | undefined {
  const slots = [];
  for (const word of command.split(' ').slice(1)) {
    const m = /^([<[])([a-z][a-z0-9-]*)(\.\.)?[>\]]$/.exec(word);
    if (!m?.[2]) return undefined;
    slots.push({ name: m[2], required: m[1] === '<', variadic: m[3] !== undefined });
  }
  return slots;
}

/** Sets a key as yargs does: the name, its camelCase form, and every alias. */
function assign(out: Record<string, unknown>, name: string, spec: OptionSpec, value: unknown): void {
  for (const key of new Set([name, camel(name), ...aliasesOf(spec)])) out[key] = value;
}

/**
 * The arguments yargs would give `def` for `argv` (the words after the program), or undefined when the line
 * is left to yargs. `path` is the verb and sub-command words (`['source', 'add']`) of `def`.
 */
function fastParse(
  argv: readonly string[],
  path: readonly string[],
  def: CommandDef<unknown>,
): Record<string, unknown> | undefined {
  if (def.subcommands) return undefined;
  const rec = new SpecRecorder();
  try {
    def.builder(rec as unknown as Argv);
  } catch {
    return undefined; // a builder using more of yargs than option/positional: yargs reads its lines
  }
  const slots = slotsOf(def.command);
  if (!slots) return undefined;
  const options = new Map<string, OptionSpec>([...GLOBAL_OPTIONS, ...rec.options]);
  for (const [, spec] of options) if (!TYPES.has(spec.type)) return undefined;
  const byFlag = new Map<string, string>();
  for (const [name, spec] of options) for (const f of [name, ...aliasesOf(spec)]) byFlag.set(f, name);

  const given = new Map<string, unknown>();
  const words: string[] = [];
  const globals = new Set(GLOBAL_OPTIONS.map(([name]) => name));
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i] ?? '';
    // `--`, help and version are yargs' own; so is `-` as a word (yargs reads it as an empty option value),
    // and a word `help` anywhere (yargs takes a trailing one as a request for help)
    if (t === '--' || t === '-h' || t === '--help' || t === '--version' || t === '-' || t === 'help') return undefined;
    if (!looksLikeFlag(t)) {
      words.push(t);
      continue;
    }
    let flag: string;
    let inline: string | undefined;
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      flag = eq < 0 ? t.slice(2) : t.slice(2, eq);
      inline = eq < 0 ? undefined : t.slice(eq + 1);
    } else {
      if (t.length !== 2) return undefined; // bundled short flags (-qf) or -x=v: yargs' rules
      flag = t.slice(1);
    }
    let name = byFlag.get(flag);
    let negated = false;
    if (name === undefined && flag.startsWith('no-') && inline === undefined) {
      name = byFlag.get(flag.slice(3));
      negated = name !== undefined;
    }
    const spec = name === undefined ? undefined : options.get(name);
    if (name === undefined || !spec) return undefined; // unknown (strict mode's error is yargs' to give)
    // before the command's own words yargs knows only the global options (`--dry-run gc` is a usage error there)
    if (words.length < path.length && !globals.has(name)) return undefined;
    if (given.has(name) && !spec.array) return undefined; // repeated: yargs makes an array of it
    if (negated) {
      if (spec.type !== 'boolean') return undefined;
      given.set(name, false);
      continue;
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined) return undefined;
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') return undefined;
      given.set(name, true);
      continue;
    }
    const values: string[] = [];
    if (inline !== undefined) {
      if (/^["']/.test(inline)) return undefined; // yargs strips quotes around an `=` value
      values.push(inline);
    } else {
      const next = argv[i + 1];
      if (next === undefined || looksLikeFlag(next) || next === '-') return undefined;
      values.push(next);
      i++;
    }
    if (spec.array) {
      if (inline !== undefined) return undefined;
      // yargs' arrays are greedy (up to the next flag; a `-` there sends the whole line to yargs)
      while (i + 1 < argv.length && !looksLikeFlag(argv[i + 1] ?? '') && argv[i + 1] !== '-')
        values.push(argv[++i] ?? '');
    }
    const typed: unknown[] = [];
    for (const v of values) {
      if (spec.type === 'number') {
        if (!/^\d+(\.\d+)?$/.test(v)) return undefined; // plain decimals only: yargs' other number forms are its own
        typed.push(Number(v));
      } else typed.push(v);
    }
    if (spec.choices && !typed.every((v) => spec.choices?.includes(v))) return undefined;
    given.set(name, spec.array ? [...((given.get(name) as unknown[] | undefined) ?? []), ...typed] : typed[0]);
  }

  if (words.length < path.length || path.some((p, i) => words[i] !== p)) return undefined;
  const out: Record<string, unknown> = { _: [...path] };
  const rest = words.slice(path.length);
  for (const slot of slots) {
    const spec = rec.positionals.get(slot.name) ?? {};
    if (spec.type !== undefined && spec.type !== 'string') return undefined;
    if (slot.variadic || spec.array) {
      const taken = rest.splice(0);
      if (taken.length === 0 && slot.required) return undefined;
      if (taken.length > 0 || spec.default !== undefined)
        assign(out, slot.name, spec, taken.length > 0 ? taken : spec.default);
      continue;
    }
    const v = rest.shift();
    if (v === undefined) {
      if (slot.required) return undefined;
      if (spec.default !== undefined) assign(out, slot.name, spec, spec.default);
      continue;
    }
    if (spec.choices && !spec.choices.includes(v)) return undefined;
    assign(out, slot.name, spec, v);
  }
  if (rest.length > 0) return undefined; // strict mode: an unknown argument
  for (const [name, spec] of options) {
    const v = given.has(name) ? given.get(name) : spec.default;
    if (v === undefined) {
      if (spec.demandOption) return undefined;
      continue;
    }
    assign(out, name, spec, v);
  }
  out.$0 = 'scrydon';
  return out;
}

/**
 * The command (or sub-command) a plain line names and its arguments, parsed without yargs, given the commands
 * loaded for it (main.ts loads only the verb's); undefined leaves the line to yargs.
 */
export function fastRoute(
  argv: readonly string[],
  defs: ReadonlyArray<CommandDef<unknown>>,
): { def: CommandDef<unknown>; args: Record<string, unknown> } | undefined {
  let def = defs.length === 1 ? defs[0] : undefined;
  const words = argv.filter((a) => !a.startsWith('-'));
  const path = [def?.command.split(' ')[0] ?? ''];
  while (def?.subcommands) {
    const word = words[path.length];
    def = def.subcommands.find((s) => s.command.split(' ')[0] === word);
    if (word) path.push(word);
  }
  const args = def ? fastParse(argv, path, def) : undefined;
  return def && args ? { def, args } : undefined;
}
