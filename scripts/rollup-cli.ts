/**
 * What the two bundles of the CLI share (scripts/bundle.ts: the ES bundle in dist/bin; scripts/bundle-sea.ts: the
 * one-file CommonJS bundle the single executable is made from): the input, the plugins and the warnings ignored.
 */
import commonjsPlugin from '@rollup/plugin-commonjs';
import jsonPlugin from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, RollupOptions } from 'rollup';

// the plugins' types are written for CommonJS (a default import is their module object); at run time the ES
// entry's default export is the plugin factory itself
const commonjs = commonjsPlugin as unknown as typeof commonjsPlugin.default;
const json = jsonPlugin as unknown as typeof jsonPlugin.default;

/** The repository root (this file runs as dist/scripts/rollup-cli.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'dist');

/** tsc's source maps of dist/, so a `--debug` stack trace points into the TypeScript sources. */
const tscSourceMaps: Plugin = {
  name: 'tsc-source-maps',
  async load(id) {
    if (!id.startsWith(`${DIST}/`) || !existsSync(`${id}.map`)) return null;
    return { code: await readFile(id, 'utf8'), map: await readFile(`${id}.map`, 'utf8') };
  },
};

/**
 * Rollup's input options for the CLI bundled from `entry` (a file of dist/cmd). The native keyring binding stays
 * external: where it cannot be loaded (not installed, or inside the single executable) the 0600 file is used.
 */
export function cliRollupOptions(entry: string): RollupOptions {
  return {
    input: { scrydon: join(DIST, 'cmd', entry) },
    external: [
      '@napi-rs/keyring',
      ...builtinModules,
      ...builtinModules.map((m) => `node:${m}`),
      'node:sea',
      'node:test',
    ],
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
  };
}
