import { manifest } from './manifest.js';
import { renderHelp } from './render-help.js';

/**
 * The help a plain request asks for — `--help`, `pull --help`, `source add -h`: the command's words and one help
 * flag, nothing else — from the build's command manifest, or undefined for any other line (yargs answers it, as
 * it answers usage errors). main.ts imports this module only for such a line, so help loads neither yargs nor a
 * command module.
 */
export function fastHelp(argv: readonly string[], width: number): string | undefined {
  if (!manifest) return undefined; // an unbuilt tree: the stub manifest
  const flags = argv.filter((a) => a.startsWith('-'));
  if (flags.length !== 1 || (flags[0] !== '--help' && flags[0] !== '-h')) return undefined;
  const words = argv.filter((a) => !a.startsWith('-'));
  if (words.includes('help')) return undefined; // yargs' own reading of a `help` word
  // a command with sub-commands named alone, or a sub-command: exactly the words of one command
  return renderHelp(manifest, words, width);
}
