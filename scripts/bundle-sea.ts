/**
 * The single executable (scripts/release): the CLI as CommonJS chunks (a Node 20 single-executable application
 * has no ES module loader; `import()` becomes `require`), the same split as the npm bundle's, so a command loads
 * only its own code: the chunks go in as SEA assets (`cli/<chunk>`), and the executable's main script is a small
 * loader (sea-loader.cjs) that compiles a chunk from its asset the first time it is required. One file of every
 * module instead ran every module's top-level code at each start (--help: ~0.1 s more than the npm install).
 * The preparation blob is made by `node --experimental-sea-config` and injected with postject into a copy of the
 * Node binary running this script. Nothing is downloaded. The file the CLI reads beside its code (package.json:
 * src/config/assets.ts) goes in as an asset under the same name; the schemas are compiled into the code.
 * The entry is main.js, not the version check of entry.js: the executable carries its own Node.
 */
import { execFile } from 'node:child_process';
import { copyFile, chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rollup } from 'rollup';
import { cliRollupOptions, ROOT } from './rollup-cli.js';

const run = promisify(execFile);

/** postject's sentinel: the fuse Node's binary carries, flipped once a blob is injected. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The files read at run time, embedded as assets keyed by their path in the package. */
async function assets(packageJson: string, chunkDir: string): Promise<Record<string, string>> {
  const chunks = (await readdir(chunkDir)).filter((f) => f.endsWith('.js'));
  return {
    'package.json': packageJson,
    ...Object.fromEntries(chunks.map((f) => [`cli/${f}`, join(chunkDir, f)])),
  };
}

/**
 * The executable's main script: requires the entry chunk from the assets; a chunk's `require('./x.js')` loads
 * chunk x the same way (once), any other name is Node's own module (all the bundle leaves external). A chunk
 * runs as a CommonJS module would, named `/$bunfs/<chunk>` in stack traces.
 */
const LOADER = `'use strict';
const { getAsset } = require('node:sea');
const { compileFunction } = require('node:vm');
const loaded = new Map();
function load(name) {
  let m = loaded.get(name);
  if (m) return m.exports;
  m = { exports: {} };
  loaded.set(name, m);
  const filename = '/scrydon/' + name;
  const params = ['exports', 'require', 'module', '__filename', '__dirname'];
  const fn = compileFunction(getAsset('cli/' + name, 'utf8'), params, { filename });
  fn(m.exports, chunkRequire, m, filename, '/scrydon');
  return m.exports;
}
function chunkRequire(id) {
  return id.startsWith('./') ? load(id.slice(2)) : require(id);
}
load('scrydon.js');
`;

/**
 * Builds the executable at `output` in the work directory `work` (removed first). `packageJson` is the path of
 * the package.json to embed (its version is what `--version` prints).
 */
export async function buildSingleExecutable(o: { work: string; output: string; packageJson: string }): Promise<void> {
  await rm(o.work, { recursive: true, force: true });
  await mkdir(o.work, { recursive: true });
  const chunkDir = join(o.work, 'cli');
  const bundle = await rollup(cliRollupOptions('main.js'));
  await bundle.write({
    dir: chunkDir,
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    format: 'cjs',
    dynamicImportInCjs: false,
    sourcemap: false,
  });
  await bundle.close();
  const script = join(o.work, 'sea-loader.cjs');
  await writeFile(script, LOADER);

  const blob = join(o.work, 'sea-prep.blob');
  const config = join(o.work, 'sea-config.json');
  const seaConfig = {
    main: script,
    output: blob,
    disableExperimentalSEAWarning: true,
    assets: await assets(o.packageJson, chunkDir),
  };
  await writeFile(config, JSON.stringify(seaConfig, null, 2));
  await run(process.execPath, ['--experimental-sea-config', config], { cwd: o.work });

  await copyFile(process.execPath, o.output);
  await chmod(o.output, 0o755);
  await run(
    join(ROOT, 'node_modules', '.bin', 'postject'),
    [o.output, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE],
    { cwd: o.work },
  );
}
