import type { Argv } from 'yargs';
import type { CommandDef } from './define-command.js';
import { aliasesOf, GLOBAL_OPTIONS, SpecRecorder } from './fast-argv.js';

/**
 * Usage errors for the habits people bring from docker, skopeo and oras: an unknown command or option is named,
 * with the scrydon way (or the closest option this command has) as the hint, instead of yargs' generic message.
 */

/** Commands of other tools, and what does their job here. */
const COMMANDS: Readonly<Record<string, string>> = {
  images: 'scrydon ls lists the packs in the store',
  image: 'scrydon ls lists the packs in the store; scrydon inspect REF shows one',
  list: 'scrydon ls lists the packs in the store',
  ps: 'scrydon installed lists what is installed',
  rmi: 'scrydon rm REF removes a tag (scrydon gc then frees the space)',
  remove: 'scrydon rm REF removes a tag',
  import: 'scrydon load FILE reads an archive into the store',
  export: 'scrydon save REF -o FILE writes an archive',
  cp: 'scrydon copy SOURCE DESTINATION',
  sync: 'scrydon copy moves one artifact; scrydon publish REGISTRY/PREFIX fills a registry with the whole store',
  attach: 'scrydon sign REF adds a signature as a referrer',
  discover: 'scrydon inspect REF lists its signatures and referrers',
};

const TLS = "--insecure skips TLS verification, --plain-http talks HTTP (skopeo's --tls-verify=false is both)";
const CREDS = '--username NAME --password-stdin (or scrydon login REGISTRY)';

/** Options of other tools, and what does their job here. */
const OPTIONS: Readonly<Record<string, string>> = {
  'tls-verify': TLS,
  'src-tls-verify': TLS,
  'dest-tls-verify': TLS,
  'insecure-policy': 'trust is set per source (scrydon source add --signature …) or in policy.yaml',
  creds: CREDS,
  'src-creds': CREDS,
  'dest-creds': CREDS,
  password: `${CREDS}: a password is never taken on the command line`,
  authfile: 'scrydon reads Docker and Podman auth files itself; REGISTRY_AUTH_FILE=FILE names another',
  'registry-config': 'scrydon reads Docker and Podman auth files itself; REGISTRY_AUTH_FILE=FILE names another',
  'all-tags': 'scrydon push --all REGISTRY/PREFIX pushes every tag of the store',
};

interface UsageExplained {
  message: string;
  hint: string;
}

/** The edit distance of two short words (option names), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The command (or sub-command) `argv` names among `defs`, with the words that named it. */
function commandOf(
  argv: readonly string[],
  defs: ReadonlyArray<CommandDef<unknown>>,
): { def: CommandDef<unknown>; path: string } | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  let def = defs.find((d) => d.command.split(' ')[0] === words[0]);
  const path = def ? [words[0]] : [];
  while (def?.subcommands) {
    const sub: CommandDef<unknown> | undefined = def.subcommands.find(
      (s) => s.command.split(' ')[0] === words[path.length],
    );
    if (!sub) break;
    path.push(words[path.length]);
    def = sub;
  }
  return def ? { def, path: path.join(' ') } : undefined;
}

/** Every flag spelling `def` (and the global options) accepts: names, aliases, camelCase forms. */
function flagsOf(def: CommandDef<unknown>): string[] | undefined {
  const rec = new SpecRecorder();
  try {
    def.builder(rec as unknown as Argv);
  } catch {
    return undefined; // a builder using more of yargs than options and positionals: leave its errors to yargs
  }
  const names = ['help', 'h', 'version'];
  for (const [name, spec] of [...GLOBAL_OPTIONS, ...rec.options]) names.push(name, ...aliasesOf(spec));
  return names;
}

/** The first `--flag` on the line that `known` does not hold (`no-` negates a known flag; camelCase is accepted). */
function unknownFlag(argv: readonly string[], known: readonly string[]): string | undefined {
  const spellings = new Set(known.flatMap((k) => [k, k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]));
  for (const t of argv) {
    if (t === '--') return undefined;
    if (!t.startsWith('--')) continue; // words, `-`, and single-dash flags or bundles (-qf) are yargs' to read
    const name = t.slice(2).split('=')[0] ?? '';
    if (spellings.has(name) || (name.startsWith('no-') && spellings.has(name.slice(3)))) continue;
    return name;
  }
  return undefined;
}

/**
 * A clearer usage error than yargs' for this command line, or undefined to keep yargs' message. An unknown
 * flag is reported before anything else yargs found (so `save --ouput x` does not first complain that --output is
 * missing).
 */
export function explainUsage(
  argv: readonly string[],
  defs: ReadonlyArray<CommandDef<unknown>>,
): UsageExplained | undefined {
  const found = commandOf(argv, defs);
  if (!found) {
    const verb = argv.find((a) => !a.startsWith('-'));
    const habit = verb === undefined ? undefined : COMMANDS[verb];
    return habit ? { message: `unknown command "${verb}"`, hint: habit } : undefined;
  }
  const known = flagsOf(found.def);
  const flag = known && unknownFlag(argv, known);
  if (!known || flag === undefined) return undefined;
  const habit = OPTIONS[flag];
  const message = `unknown option --${flag} for scrydon ${found.path}`;
  if (habit) return { message, hint: habit };
  const close = known
    .filter((k) => k.length > 1)
    .map((k) => ({ k, d: distance(flag, k) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(flag.length / 4)) + 1)
    .sort((a, b) => a.d - b.d)[0];
  return {
    message,
    hint: close ? `did you mean --${close.k}?` : `see scrydon ${found.path} --help for its options`,
  };
}
