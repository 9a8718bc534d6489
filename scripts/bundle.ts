/**
 * Bundles the CLI (run by `npm run build` after tsc): dist/cmd/main.js and everything it imports become
 * dist/bin/scrydon.js plus one chunk per command (main.ts imports the command being run by name), so a run
 * reads a handful of files instead of ~70 modules and their package.json lookups: about 0.05–0.1 s less
 * start-up on a small machine, as wrangler and pnpm ship theirs. The native keyring binding stays external.
 */
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs as dist/scripts/bundle.js). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const out = join(ROOT, 'dist', 'bin');
await rm(out, { recursive: true, force: true });
await build({
  entryPoints: { scrydon: join(ROOT, 'dist', 'cmd', 'main.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@napi-rs/keyring'],
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own
  banner: { js: "import { createRequire as __scrydonRequire } from 'node:module'; const require = __scrydonRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'eof', // the licence notices of bundled packages stay with their code
  logLevel: 'warning',
});
await chmod(join(out, 'scrydon.js'), 0o755);
