/**
 * Bundles the CLI (run by `npm run build` after tsc): dist/cmd/main.js and everything it imports become
 * dist/bin/scrydon.js plus chunks, one set per command (main.ts imports the command being run by name), so a
 * run reads a handful of files instead of ~70 modules and their package.json lookups, as wrangler and pnpm ship
 * theirs. Rollup, not esbuild: Rollup knows that a lazily imported chunk only runs after the module that imports
 * it, so the code every command shares stays in the entry chunk instead of being cut into one chunk per set of
 * commands using it (esbuild gave a push 32 files to load, Rollup 14: 20–40 ms less start-up per command,
 * measured over alternating runs). Rollup 3, not 4: 4 needs a native binary per platform, which the npm mirror
 * here lacks for every platform but this one, so its lock file could not be complete. The native keyring binding
 * stays external.
 */
import commonjsPlugin from '@rollup/plugin-commonjs';
import jsonPlugin from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup, type Plugin } from 'rollup';

// the plugins' types are written for CommonJS (a default import is their module object); at run time the ES
// entry's default export is the plugin factory itself
const commonjs = commonjsPlugin as unknown as typeof commonjsPlugin.default;
const json = jsonPlugin as unknown as typeof jsonPlugin.default;

/** The repository root (this file runs as dist/scripts/bundle.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');

/** tsc's source maps of dist/, so a `--debug` stack trace points into the TypeScript sources. */
const tscSourceMaps: Plugin = {
  name: 'tsc-source-maps',
  async load(id) {
    if (!id.startsWith(`${DIST}/`) || !existsSync(`${id}.map`)) return null;
    return { code: await readFile(id, 'utf8'), map: await readFile(`${id}.map`, 'utf8') };
  },
};

const out = join(DIST, 'bin');
await rm(out, { recursive: true, force: true });
const bundle = await rollup({
  input: { scrydon: join(DIST, 'cmd', 'main.js') },
  external: ['@napi-rs/keyring', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
  plugins: [
    tscSourceMaps,
    nodeResolve({ preferBuiltins: true, exportConditions: ['node'], rootDir: ROOT }),
    commonjs({
      // a require() in a try block is an optional dependency: Node's own modules are always there (import them);
      // a package that is not bundled is treated as absent, the path its catch takes
      ignoreTryCatch: (id) => (builtinModules.includes(id.replace(/^node:/, '')) ? false : 'remove'),
    }),
    json(),
  ],
  onwarn(w, warn) {
    // dependencies' own cycles and top-level `this` are how they are written; nothing to act on here
    if (w.code === 'CIRCULAR_DEPENDENCY' || w.code === 'THIS_IS_UNDEFINED') return;
    warn(w);
  },
});
await bundle.write({
  dir: out,
  format: 'es',
  banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''), // the bin runs as a program (Rollup drops main.ts's own)
  sourcemap: true,
});
await bundle.close();
await chmod(join(out, 'scrydon.js'), 0o755);
