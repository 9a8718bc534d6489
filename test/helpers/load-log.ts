import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { scrydon, tempDir, type RunOptions, type RunResult } from './cli.js';

/**
 * Runs the built CLI with a module-loading hook that logs every file of the bundle Node loads: what a start-up
 * costs is mostly how much code it loads, and that can be asserted where a time cannot. `builtins`: the `node:`
 * modules imported as ES modules (each an import of the bundle's; the hook runs only after the register file).
 */
export async function withLoadLog(
  args: readonly string[],
  o: RunOptions = {},
): Promise<RunResult & { files: string[]; builtins: string[] }> {
  const dir = await tempDir();
  const log = join(dir, 'loaded.txt');
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:') || url.startsWith('node:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  await writeFile(log, '');
  const r = await scrydon(args, { ...o, env: { ...o.env, NODE_OPTIONS: `--import=${join(dir, 'register.mjs')}` } });
  const urls = (await readFile(log, 'utf8')).split('\n');
  const files = urls.filter((u) => u.includes('/dist/bin/')).map((u) => basename(u));
  // Node's own modules the CLI imports (an import from the bundle, not one Node makes for itself)
  const builtins = [...new Set(urls.filter((u) => u.startsWith('node:')))].sort();
  return { ...r, files, builtins };
}

/** The bundle's chunks of command modules (named after their verb) and of yargs among `files`. */
export function commandOrYargsChunks(files: readonly string[], verbs: readonly string[]): string[] {
  return files.filter((f) => verbs.some((v) => f.startsWith(`${v}-`)) || f.startsWith('yargs'));
}
