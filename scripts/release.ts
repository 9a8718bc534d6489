/**
 * `bash scripts/release` (after `npm run build`): dist/release/ for carrying scrydon to a site with no network:
 * - scrydon-<version>.tgz, an npm package with no registry dependency (the Rollup bundle in dist/bin holds every
 *   JS dependency; the native OS keychain module is left out, so logins go to the 0600 file, as the single
 *   executable's do), installable with `npm install -g ./scrydon-<version>.tgz --offline`;
 * - scrydon-<version>-linux-x64, the single executable (scripts/bundle-sea.ts);
 * - SHA256SUMS over both, in `sha256sum -c` format.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { buildSingleExecutable } from './bundle-sea.js';
import { DIST, ROOT } from './rollup-cli.js';

const run = promisify(execFile);
const OUT = join(DIST, 'release');
const WORK = join(DIST, 'release-work');

interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  engines: Record<string, string>;
  bin: Record<string, string>;
}

/** What goes in the package besides package.json: the bundle (with its source maps, for --debug), schemas, example packs, man pages. */
const SHIPPED = ['dist/bin', 'dist/man', 'catalog-spec', 'fixtures/packs', 'README.md', 'LICENSE'];

/**
 * The release package.json: the CLI only, no dependencies, no scripts (the library entry dist/src is left out:
 * it imports its dependencies from node_modules, which this package does not have).
 */
function releaseManifest(pkg: PackageJson, manPages: readonly string[]): Record<string, unknown> {
  return {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: 'module',
    bin: pkg.bin,
    engines: pkg.engines,
    ...(manPages.length ? { man: manPages.map((f) => `./dist/man/man1/${f}`) } : {}), // `npm install -g` links them for man(1)
  };
}

async function npmPackage(pkg: PackageJson): Promise<string> {
  const stage = join(WORK, 'package');
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  for (const path of SHIPPED) {
    if (existsSync(join(ROOT, path))) await cp(join(ROOT, path), join(stage, path), { recursive: true });
  }
  const manDir = join(stage, 'dist', 'man', 'man1');
  const manPages = existsSync(manDir) ? (await readdir(manDir)).filter((f) => f.endsWith('.1')).sort() : [];
  await writeFile(join(stage, 'package.json'), `${JSON.stringify(releaseManifest(pkg, manPages), null, 2)}\n`);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', OUT], {
    cwd: stage,
    env: { ...process.env, npm_config_offline: 'true', npm_config_loglevel: 'error' },
  });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (!packed) throw new Error('npm pack reported no package');
  return packed.filename;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function checksums(): Promise<void> {
  const names = (await readdir(OUT)).filter((n) => n !== 'SHA256SUMS').sort();
  const lines = await Promise.all(names.map(async (n) => `${await sha256(join(OUT, n))}  ${n}\n`));
  await writeFile(join(OUT, 'SHA256SUMS'), lines.join(''));
}

const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
const tgz = await npmPackage(pkg);
const exe = `${pkg.name}-${pkg.version}-linux-x64`;
await buildSingleExecutable({
  work: join(WORK, 'sea'),
  output: join(OUT, exe),
  packageJson: join(WORK, 'package', 'package.json'),
});
await checksums();
await rm(WORK, { recursive: true, force: true });
for (const name of [tgz, exe, 'SHA256SUMS'])
  process.stdout.write(`dist/release/${name}  ${(await stat(join(OUT, name))).size} bytes\n`);
