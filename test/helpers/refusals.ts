import assert from 'node:assert/strict';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { expectError, FIXTURES, ok, tempDir, type RunResult } from './cli.js';
import { startRegistry, type RunningRegistry } from './registry.js';
import { seedPack } from './seed-store.js';

/** What the file-system refusal tests (disk-full, readonly-home) load, pull and install. */
export interface RefusalFixtures {
  /** A valid pack (`scrydon build` of fixtures/packs/acme-core) saved alone: a few KiB. */
  small: string;
  /** A 20 MiB artifact saved alone, and pushed to `registry` as acme/big:1.0.0. */
  big: string;
  registry: RunningRegistry;
}

export const CORE = 'acme.core:1.0.0';
const BIG = 'acme.big:1.0.0';

/** Builds the archives (readable by every user) and starts a registry holding the big artifact; stop it after. */
export async function refusalFixtures(): Promise<RefusalFixtures> {
  const src = await tempDir();
  const work = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: src });
  await seedPack(join(src, 'catalog'), BIG, join(work, 'seed'), { layers: [20 * 1024 * 1024] });
  const small = join(work, 'small.tar');
  const big = join(work, 'big.tar');
  await ok(['save', CORE, '-o', small], { home: src });
  await ok(['save', BIG, '-o', big], { home: src });
  await chmod(work, 0o755); // the archives are read by another user too
  const registry = await startRegistry();
  await ok(['push', BIG, `${registry.host}/acme/big:1.0.0`, '--plain-http'], { home: src });
  return { small, big, registry };
}

/** The refusal: io_error, the errno in parentheses, `path` named, and a hint. */
export function assertRefused(r: RunResult, errno: string, path: string): void {
  expectError(r, 'io_error');
  assert.match(r.stderr, new RegExp(`\\(${errno}\\)`), r.stderr);
  assert.ok(r.stderr.includes(path), `the error does not name ${path}:\n${r.stderr}`);
  assert.match(r.stderr, /\nhint: /, r.stderr);
}
