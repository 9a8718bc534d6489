/**
 * The single executable (scripts/release): the CLI as one CommonJS file (a Node 20 single-executable application
 * has no ES module loader: Rollup inlines every dynamic import, and `import()` of Node's own modules becomes
 * `require`), turned into a preparation blob by `node --experimental-sea-config`, injected with postject into a
 * copy of the Node binary running this script. Nothing is downloaded. The files the CLI reads beside its code
 * (catalog-spec/*.schema.json, package.json: src/config/assets.ts) go in as SEA assets under the same names.
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
async function assets(packageJson: string): Promise<Record<string, string>> {
  const schemas = (await readdir(join(ROOT, 'catalog-spec'))).filter((f) => f.endsWith('.schema.json'));
  return {
    'package.json': packageJson,
    ...Object.fromEntries(schemas.map((f) => [`catalog-spec/${f}`, join(ROOT, 'catalog-spec', f)])),
  };
}

/**
 * Builds the executable at `output` in the work directory `work` (removed first). `packageJson` is the path of
 * the package.json to embed (its version is what `--version` prints).
 */
export async function buildSingleExecutable(o: { work: string; output: string; packageJson: string }): Promise<void> {
  await rm(o.work, { recursive: true, force: true });
  await mkdir(o.work, { recursive: true });
  const script = join(o.work, 'scrydon.cjs');
  const bundle = await rollup(cliRollupOptions('main.js'));
  await bundle.write({
    dir: o.work,
    entryFileNames: 'scrydon.cjs',
    format: 'cjs',
    inlineDynamicImports: true,
    dynamicImportInCjs: false,
    sourcemap: false,
  });
  await bundle.close();

  const blob = join(o.work, 'sea-prep.blob');
  const config = join(o.work, 'sea-config.json');
  // useCodeCache: V8's compiled code goes in with the script (start-up: see README "Install at an air-gapped site")
  const seaConfig = {
    main: script,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    assets: await assets(o.packageJson),
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
