import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { scrydon, tempDir, type RunOptions, type RunResult } from './cli.js';

/**
 * Runs the built CLI with a module-loading hook that logs every file of the bundle Node loads: what a start-up
 * costs is mostly how much code it loads, and that can be asserted where a time cannot.
 */
export async function withLoadLog(
  args: readonly string[],
  o: RunOptions = {},
): Promise<RunResult & { files: string[] }> {
  const dir = await tempDir();
  const log = join(dir, 'loaded.txt');
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  await writeFile(log, '');
  const r = await scrydon(args, { ...o, env: { ...o.env, NODE_OPTIONS: `--import=${join(dir, 'register.mjs')}` } });
  const files = (await readFile(log, 'utf8'))
    .split('\n')
    .filter((u) => u.includes('/dist/bin/'))
    .map((u) => basename(u));
  return { ...r, files };
}

/** The bundle's chunks of command modules (named after their verb) and of yargs among `files`. */
export function commandOrYargsChunks(files: readonly string[], verbs: readonly string[]): string[] {
  return files.filter((f) => verbs.some((v) => f.startsWith(`${v}-`)) || f.startsWith('yargs'));
}
