import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScrydonError } from '../errors.js';

/**
 * Files scrydon ships beside its code (catalog-spec/: the JSON Schemas). Found from this module's own
 * location, walking up: dist/src/config/ in a checkout, the package root once installed, src/config/ when
 * run from source. Never from the working directory.
 */
let cached: string | undefined;

export function catalogSpecDir(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'catalog-spec');
    if (existsSync(join(candidate, 'pack.schema.json'))) {
      cached = candidate;
      return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new ScrydonError('internal', `catalog-spec/ was not found above ${dirname(fileURLToPath(import.meta.url))}`, {
    hint: 'the scrydon installation is incomplete; reinstall it (catalog-spec/ ships with the package)',
  });
}

/** The path of a file in catalog-spec/, e.g. `pack.schema.json`. */
export function catalogSpecFile(name: string): string {
  return join(catalogSpecDir(), name);
}

/** scrydon's own version: the package.json beside catalog-spec/ (the package root), never the working directory's. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(catalogSpecDir()), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
