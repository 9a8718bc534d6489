import { slotsOf } from '../fast-argv.js';
import { Layout, textWidth } from './layout.js';
import { verbOf, type HelpCommand, type HelpManifest, type HelpOption } from './manifest-types.js';

/**
 * --help from the command manifest, laid out as yargs lays it out (the calls yargs' usage.js makes to cliui, for
 * the part of yargs scrydon uses), so that help needs neither yargs nor a command module.
 * test/unit/help.test.ts compares this text with yargs' own for every command at several widths.
 */

const SCRIPT = 'scrydon';

interface Switch {
  text: string;
  indentation: number;
}

function maxWidth(texts: ReadonlyArray<Switch>, wrap: number): number {
  let width = 0;
  for (const t of texts) width = Math.max(textWidth(t.text) + t.indentation, width);
  return Math.min(width, Math.floor(wrap * 0.5));
}

function plain(texts: readonly string[]): Switch[] {
  return texts.map((text) => ({ text, indentation: 0 }));
}

/** yargs' `[string] [required] [choices: …] [default: …]` after an option's description. */
function extras(o: HelpOption): string {
  // yargs' precedence: a later kind wins (array over string, number over array)
  let type: string | undefined;
  if (o.type === 'boolean') type = 'boolean';
  if (o.type === 'string') type = 'string';
  if (o.array) type = 'array';
  if (o.type === 'number') type = 'number';
  const parts = [
    type && `[${type}]`,
    o.required ? '[required]' : undefined,
    o.choices ? `[choices: ${o.choices.map((c) => JSON.stringify(c)).join(', ')}]` : undefined,
  ];
  if (o.default !== undefined) {
    const v = o.default;
    parts.push(
      `[default: ${typeof v === 'string' ? `"${v}"` : typeof v === 'object' ? JSON.stringify(v) : String(v)}]`,
    );
  }
  return parts.filter(Boolean).join(' ');
}

/** `-q, --quiet` (short switches first), or a positional's bare name. */
function switchOf(o: HelpOption, positional: boolean): string {
  const names = [o.name, ...o.aliases];
  if (positional) return names.join(', ');
  const flags = names.map((n) => (n.length > 1 ? '--' : '-') + n);
  return [...flags.filter((f) => !f.startsWith('--')), ...flags.filter((f) => f.startsWith('--'))].join(', ');
}

/** A positional as yargs reads it from the command string: `<x>` is required, `x..` an array (default []). */
function positionalOf(command: string, o: HelpOption): HelpOption {
  const slot = slotsOf(command)?.find((x) => x.name === o.name);
  const p: HelpOption = { name: o.name, aliases: o.aliases };
  if (o.describe !== undefined) p.describe = o.describe;
  if (o.type !== undefined) p.type = o.type;
  const variadic = slot?.variadic === true;
  if (variadic) p.array = true;
  if (slot?.required) p.required = true;
  if (o.choices) p.choices = o.choices;
  if (o.default !== undefined || variadic) p.default = o.default ?? [];
  return p;
}

function group(
  ui: Layout,
  name: string,
  options: readonly HelpOption[],
  positional: boolean,
  shortUsed: boolean,
  wrap: number,
): void {
  if (options.length === 0) return;
  const switches = options.map((o) => {
    const text = switchOf(o, positional);
    return { text, indentation: !positional && shortUsed && text.startsWith('--') ? 4 : 0 };
  });
  const width = maxWidth(switches, wrap) + 4;
  ui.div(name);
  options.forEach((o, i) => {
    const sw = switches[i] as Switch;
    ui.span({ text: sw.text, padding: [0, 2, 0, 2 + sw.indentation], width }, o.describe ?? '');
    const extra = extras(o);
    if (extra) ui.div({ text: extra, padding: [0, 0, 0, 2], align: 'right' });
    else ui.div();
  });
  ui.div();
}

/**
 * The help text of the command at `path` (`[]`: the top level; `['source', 'add']`), wrapped at `wrap`
 * columns, or undefined when no such command exists.
 */
export function renderHelp(m: HelpManifest, path: readonly string[], wrap: number): string | undefined {
  let cmd: HelpCommand | undefined;
  let list = m.commands;
  for (const word of path) {
    cmd = list.find((c) => verbOf(c) === word);
    if (!cmd) return undefined;
    list = cmd.subcommands ?? [];
  }
  const ui = new Layout(wrap);
  const parents = path
    .slice(0, -1)
    .map((p) => `${p} `)
    .join('');
  if (cmd) {
    ui.div({ text: `${SCRIPT} ${parents}${cmd.command}` });
    if (cmd.describe) ui.div({ text: cmd.describe, padding: [1, 0, 0, 0] });
  } else ui.div({ text: m.usage.replace(/\$0/g, SCRIPT) });
  ui.div();

  const commands = cmd ? (cmd.subcommands ?? []) : m.commands;
  if (commands.length > 0) {
    ui.div('Commands:');
    const prefix = `${SCRIPT} ${path.map((p) => `${p} `).join('')}`;
    const width = maxWidth(plain(commands.map((c) => `${prefix}${c.command}`)), wrap) + 4;
    for (const c of commands) {
      ui.span({ text: `${prefix}${c.command}`, padding: [0, 2, 0, 2], width }, { text: c.describe });
      ui.div();
    }
    ui.div();
  }

  const positionals = (cmd?.positionals ?? []).map((p) => positionalOf(cmd?.command ?? '', p));
  const options = [...m.globals, ...(cmd?.options ?? [])];
  const shortUsed = options.some((o) => o.aliases.some((a) => a.length === 1) || o.name.length === 1);
  group(ui, 'Positionals:', positionals, true, shortUsed, wrap);
  group(ui, 'Options:', options, false, shortUsed, wrap);

  const examples = cmd?.examples ?? [];
  if (examples.length > 0) {
    ui.div('Examples:');
    const width = maxWidth(plain(examples.map(([c]) => c)), wrap) + 4;
    for (const [c, what] of examples) {
      if (what === '') ui.div({ text: c, padding: [0, 2, 0, 2] });
      else ui.div({ text: c, padding: [0, 2, 0, 2], width }, { text: what });
    }
    ui.div();
  }
  const epilog = cmd ? cmd.epilog : m.epilogue;
  if (epilog) ui.div(`${epilog.replace(/\$0/g, SCRIPT)}\n`);
  return ui.toString().replace(/\s*$/, '');
}
