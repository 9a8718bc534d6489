import { slotsOf } from '../fast-argv.js';
import { verbOf, type HelpCommand, type HelpManifest, type HelpOption } from '../help/manifest-types.js';

/**
 * `scrydon __complete WORDS…`: the candidates for the last word of a command line (the words after
 * `scrydon`, the last one being typed, perhaps empty), one per line as `candidate<TAB>description`; a last line
 * `:files` asks the shell to complete file names. The completion scripts (scripts.ts) call it. It reads the
 * command manifest, and for a stored reference only index.json, for a source name only sources.yaml: no store
 * is opened, no command module or yargs loaded.
 */

/** What a positional holds, for the ones completion can list: `path positional`. */
export const POSITIONAL_KINDS: Readonly<Record<string, 'ref' | 'source' | 'file'>> = {
  'inspect ref': 'ref',
  'install ref': 'ref',
  'tag source': 'ref',
  'rm refs': 'ref',
  'save refs': 'ref',
  'push ref': 'ref',
  'sign ref': 'ref',
  'verify ref': 'ref',
  'reconcile sources': 'source',
  'source show name': 'source',
  'source rm name': 'source',
  'source enable name': 'source',
  'source disable name': 'source',
  'source test name': 'source',
  'source history name': 'source',
  'build dir': 'file',
  'validate path': 'file',
  'key public key': 'file',
  'trust import file': 'file',
};

export const FILES = ':files';

/** Where the names completion offers come from (names.ts reads them from $SCRYDON_HOME). */
export interface Names {
  refs(): Promise<string[]>;
  sources(): Promise<string[]>;
}

function flagsOf(o: HelpOption): string[] {
  return [o.name, ...o.aliases].map((n) => (n.length > 1 ? `--${n}` : `-${n}`));
}

function line(candidate: string, describe?: string): string {
  return describe ? `${candidate}\t${describe.replace(/\s+/g, ' ')}` : candidate;
}

/** The values an option takes: its choices, file names for a string, nothing for a number. */
function valuesOf(o: HelpOption, cur: string, prefix = ''): string[] {
  if (o.choices)
    return o.choices
      .map(String)
      .filter((c) => c.startsWith(cur))
      .map((c) => prefix + c);
  return o.type === 'string' ? [FILES] : [];
}

function named(list: readonly HelpCommand[], word: string): HelpCommand | undefined {
  return list.find((c) => verbOf(c) === word);
}

/** The candidates for `words` (see above). */
export async function complete(m: HelpManifest, words: readonly string[], names: Names): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const path: string[] = [];
  let cmd: HelpCommand | undefined;
  let taken = 0; // positionals given
  let value: HelpOption | undefined; // the option whose value comes next
  let dashdash = false;
  const options = () => [...m.globals, ...(cmd?.options ?? [])];
  const option = (flag: string) =>
    options().find((o) => flagsOf(o).includes(flag) || (o.type === 'boolean' && `--no-${o.name}` === flag));
  for (const w of words.slice(0, -1)) {
    if (value) {
      value = undefined;
      continue;
    }
    if (w === '--') {
      dashdash = true;
      continue;
    }
    if (!dashdash && w.startsWith('-') && w !== '-') {
      const o = w.includes('=') ? undefined : option(w);
      if (o && o.type !== 'boolean') value = o;
      continue;
    }
    const next =
      cmd === undefined ? named(m.commands, w) : cmd.subcommands && taken === 0 ? named(cmd.subcommands, w) : undefined;
    if (next) {
      cmd = next;
      path.push(w);
    } else if (cmd === undefined || cmd.subcommands) return [];
    else taken++;
  }
  if (value) return valuesOf(value, cur);
  if (!dashdash && cur.startsWith('-')) {
    const eq = cur.indexOf('=');
    if (eq > 0) {
      const o = option(cur.slice(0, eq));
      return o ? valuesOf(o, cur.slice(eq + 1), cur.slice(0, eq + 1)).filter((c) => c !== FILES) : [];
    }
    return options().flatMap((o) =>
      flagsOf(o)
        .filter((f) => f.startsWith(cur))
        .map((f) => line(f, o.describe)),
    );
  }
  const list = cmd === undefined ? m.commands : cmd.subcommands;
  if (list) return list.filter((c) => verbOf(c).startsWith(cur)).map((c) => line(verbOf(c), c.describe));
  const slots = slotsOf(cmd?.command ?? '') ?? [];
  const slot = slots[Math.min(taken, slots.length - 1)];
  if (slot === undefined || (taken >= slots.length && !slot.variadic)) return [];
  const kind = POSITIONAL_KINDS[`${path.join(' ')} ${slot.name}`];
  if (kind === 'file') return [FILES];
  const all = kind === 'ref' ? await names.refs() : kind === 'source' ? await names.sources() : [];
  return all.filter((n) => n.startsWith(cur));
}
