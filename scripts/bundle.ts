/**
 * Bundles the CLI (run by `npm run build` after tsc): dist/cmd/entry.js (the Node version check) and everything
 * it imports become dist/bin/scrydon.js plus chunks, one set per command (main.ts imports the command being run
 * by name), so a run reads a handful of files instead of ~70 modules and their package.json lookups, as wrangler
 * and pnpm ship theirs. Rollup, not esbuild: Rollup knows that a lazily imported chunk only runs after the module
 * that imports it, so the code every command shares stays in one chunk instead of being cut into one chunk per
 * set of commands using it (esbuild gave a push 32 files to load, Rollup 14: 20–40 ms less start-up per command,
 * measured over alternating runs). Rollup 3, not 4: 4 needs a native binary per platform, which the npm mirror
 * here lacks for every platform but this one, so its lock file could not be complete.
 */
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { rollup } from 'rollup';
import { cliRollupOptions, DIST } from './rollup-cli.js';

const out = join(DIST, 'bin');
await rm(out, { recursive: true, force: true });
const bundle = await rollup(cliRollupOptions('entry.js'));
await bundle.write({
  dir: out,
  format: 'es',
  banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''), // the bin runs as a program (Rollup drops entry.ts's own)
  sourcemap: true,
});
await bundle.close();
await chmod(join(out, 'scrydon.js'), 0o755);
