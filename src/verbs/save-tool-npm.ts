import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { readSmallFile } from '../pack/small-file.js';
import { walkPackDir, type PackEntry } from '../pack/walk.js';
import { writePackTarGz } from '../pack/pack-writer.js';

/**
 * The running install as the npm package tarball `npm pack` makes of it (save --with-tool under Node): every file
 * under `package/`, as npm lists them for the package.json fields scrydon's own uses — package.json, README and
 * LICENSE at the top, `main`, the `bin` targets, each `files` entry (no list: the whole directory but its
 * node_modules, as an installed release package is), and the `bundleDependencies` with what they need from
 * node_modules — written deterministically (one mtime, npm's, owners 0) by the pack writer. It installs
 * with `npm install -g ./scrydon-<version>.tgz`, or runs unpacked (`node package/dist/bin/scrydon.js`).
 */

interface PackageJson {
  name: string;
  version: string;
  files?: unknown;
  main?: unknown;
  bin?: unknown;
  dependencies?: unknown;
  optionalDependencies?: unknown;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
}

/** The mtime npm pack gives every entry (1985-10-26T08:15:00Z), so the tarball depends on content alone. */
const NPM_MTIME = 499162500;
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;
const MAX_PACKAGE_BYTES = 1024 * 1024 * 1024;
/** Names npm never packs, wherever they are. */
const NEVER = /^(\.git|\.npmrc|\.DS_Store|npm-debug\.log|\.[^/]*\.swp|[^/]*\.orig)$/;
const ALWAYS_AT_TOP = /^(readme|license|licence)(\..*)?$/i;
/** Left out of a package without a "files" list, as npm leaves them out (besides NEVER). */
const NOT_WITHOUT_FILES = /^(node_modules|\.gitignore|\.npmignore|package-lock\.json)$/;

interface NpmPackage {
  /** `scrydon-0.1.0.tgz`, as npm pack names it. */
  name: string;
  version: string;
  path: string;
}

/** Writes the package at `root` as `<tmpDir>/<random>/<name>-<version>.tgz`; the caller removes it. */
export async function writeNpmPackage(root: string, tmpDir: string, signal?: AbortSignal): Promise<NpmPackage> {
  const pkg = await readPackageJson(root);
  const entries = await npmPackageEntries(root, pkg);
  const dir = join(tmpDir, `tool-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const name = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
  const path = join(dir, name);
  await writePackTarGz(entries, path, {
    mtime: NPM_MTIME,
    maxBytes: MAX_PACKAGE_BYTES,
    what: `npm package of ${root}`,
    signal,
  });
  return { name, version: pkg.version, path };
}

/** The package's files in the order they are packed, each under `package/`. */
async function npmPackageEntries(root: string, pkg?: PackageJson): Promise<PackEntry[]> {
  pkg ??= await readPackageJson(root);
  const paths = new Set<string>(['package.json']);
  const top = await readdir(root);
  for (const name of top.filter((n) => ALWAYS_AT_TOP.test(n))) paths.add(name);
  if (typeof pkg.main === 'string') paths.add(pkg.main);
  const bins =
    typeof pkg.bin === 'string' ? [pkg.bin] : pkg.bin && typeof pkg.bin === 'object' ? Object.values(pkg.bin) : [];
  for (const b of bins) if (typeof b === 'string') paths.add(b);
  if (pkg.files === undefined) {
    // no list (the release's package, once installed): everything the package directory holds but its node_modules
    for (const name of top.filter((n) => !NOT_WITHOUT_FILES.test(n) && !NEVER.test(n))) paths.add(name);
  } else if (Array.isArray(pkg.files) && pkg.files.every((f): f is string => typeof f === 'string')) {
    for (const f of pkg.files) {
      if (/[*?[\]{}!]/.test(f))
        throw new ScrydonError(
          'usage',
          `${join(root, 'package.json')}: "files" entry "${f}" is a glob; only plain paths are supported`,
        );
      paths.add(f);
    }
  } else throw new ScrydonError('usage', `${join(root, 'package.json')}: "files" is not a list of paths`);
  for (const dep of await bundledDirs(root, pkg)) paths.add(dep);
  const out = new Map<string, PackEntry>();
  for (const p of paths) {
    const rel = p.replace(/^\.\//, '').replace(/\/+$/, '');
    for (const e of await filesAt(root, rel)) out.set(e.path, { ...e, path: `package/${e.path}` });
  }
  return [...out.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

async function readPackageJson(root: string): Promise<PackageJson> {
  const file = join(root, 'package.json');
  const v = JSON.parse(
    (await readSmallFile(file, MAX_PACKAGE_JSON_BYTES, file)).toString('utf8'),
  ) as Partial<PackageJson> | null;
  if (!v || typeof v.name !== 'string' || typeof v.version !== 'string')
    throw new ScrydonError('usage', `${file} names no package name and version`);
  return v as PackageJson;
}

/** The regular files at `rel` (a file, or a directory walked whole); nothing when it does not exist. */
async function filesAt(root: string, rel: string): Promise<PackEntry[]> {
  const abs = join(root, rel);
  const st = await lstat(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return [];
  if (st.isFile())
    return NEVER.test(rel.split('/').pop() ?? '')
      ? []
      : [{ path: rel, type: 'file', source: abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 }];
  if (!st.isDirectory()) return [];
  const walked = await walkPackDir(abs);
  if (walked.unsafe.length > 0)
    throw new ScrydonError('unsafe_entry', `${abs}/${walked.unsafe[0]?.path}: ${walked.unsafe[0]?.reason}`);
  return walked.entries
    .filter((e) => e.type === 'file' && !e.path.split('/').some((part) => NEVER.test(part)))
    .map((e) => ({ ...e, path: `${rel}/${e.path}` }));
}

/**
 * node_modules/<name> of each bundled dependency, and of what they depend on in turn where npm put it (nested
 * under the dependent, or hoisted to the top), as npm bundles them.
 */
async function bundledDirs(root: string, pkg: PackageJson): Promise<string[]> {
  const declared = pkg.bundleDependencies ?? pkg.bundledDependencies;
  const names =
    declared === true
      ? depNames(pkg)
      : Array.isArray(declared)
        ? declared.filter((n): n is string => typeof n === 'string')
        : [];
  const out: string[] = [];
  const queue = names.map((name) => ({ name, from: '', optional: isOptional(pkg, name) }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift() as { name: string; from: string; optional: boolean };
    const dir = await locate(root, from, name);
    if (dir === undefined) {
      // an optional dependency (a native module for another platform) is absent where npm did not install it
      if (optional) continue;
      throw new ScrydonError('not_found', `bundled dependency ${name} is not installed under ${join(root, from)}`, {
        hint: 'npm install in the package first',
      });
    }
    if (out.includes(dir)) continue;
    out.push(dir);
    const dep = await readPackageJson(join(root, dir));
    for (const n of depNames(dep)) queue.push({ name: n, from: dir, optional: isOptional(dep, n) });
  }
  return out;
}

function depNames(pkg: PackageJson): string[] {
  return [...new Set([...keys(pkg.dependencies), ...keys(pkg.optionalDependencies)])];
}

function isOptional(pkg: PackageJson, name: string): boolean {
  return keys(pkg.optionalDependencies).includes(name);
}

function keys(v: unknown): string[] {
  return v && typeof v === 'object' ? Object.keys(v) : [];
}

/** Where Node would find `name` from the package at `from`: its own node_modules, then each one above it. */
async function locate(root: string, from: string, name: string): Promise<string | undefined> {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (
      await lstat(join(root, candidate, 'package.json')).then(
        () => true,
        () => false,
      )
    )
      return candidate;
    if (dir === '') return undefined;
  }
}
