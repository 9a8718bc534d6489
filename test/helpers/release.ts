import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, ROOT, tempDir } from './cli.js';

export const RELEASE_DIR = join(ROOT, 'dist', 'release');

export interface Release {
  version: string;
  /** dist/release/scrydon-<version>.tgz */
  tarball: string;
  /** dist/release/scrydon-<version>-linux-x64 */
  executable: string;
}

/**
 * dist/release/ as `bash scripts/release` makes it from this build (scripts/test makes it before the tests; a test
 * file run alone makes it here when it is missing or older than dist/bin).
 */
export function ensureRelease(): Release {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const release: Release = {
    version,
    tarball: join(RELEASE_DIR, `scrydon-${version}.tgz`),
    executable: join(RELEASE_DIR, `scrydon-${version}-linux-x64`),
  };
  const sums = join(RELEASE_DIR, 'SHA256SUMS');
  if (!existsSync(sums) || statSync(sums).mtimeMs < statSync(BIN).mtimeMs) {
    execFileSync('bash', [join(ROOT, 'scripts', 'release')], {
      cwd: ROOT,
      env: { ...process.env, SCRYDON_RELEASE_NO_BUILD: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return release;
}

/**
 * A directory to be the whole PATH of a machine with no Node: symlinks to these tools as this machine has them,
 * and nothing else (a test checks `command -v node` finds nothing).
 */
export async function pathWithoutNode(tools: readonly string[]): Promise<string> {
  const dir = join(await tempDir('scrydon-nonode-'), 'bin');
  await mkdir(dir);
  for (const tool of tools) {
    const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (!where) throw new Error(`${tool} is not installed`);
    await symlink(where, join(dir, tool));
  }
  return dir;
}
