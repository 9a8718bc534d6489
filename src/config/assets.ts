import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { ScrydonError } from '../errors.js';

/**
 * Files scrydon ships beside its code (catalog-spec/: the JSON Schemas, which the build and the tests compile:
 * schema-compile.ts; package.json: its version). Found from this module's own location, walking up:
 * dist/src/config/ in a checkout, the package root once installed, src/config/ when run from source. Never from
 * the working directory. The single executable carries package.json as an asset under the same name
 * (scripts/bundle-sea.ts) and reads nothing beside itself.
 */
let cached: string | undefined;

function catalogSpecDir(): string {
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

/** The text of a shipped file, by its path in the package (`catalog-spec/pack.schema.json`, `package.json`). */
function shippedText(path: string): string {
  if (isSea()) return getAsset(path, 'utf8');
  return readFileSync(join(dirname(catalogSpecDir()), path), 'utf8');
}

/** The text of a file in catalog-spec/, e.g. `pack.schema.json`. */
export function catalogSpecText(name: string): string {
  return shippedText(`catalog-spec/${name}`);
}

/** scrydon's own version: the package.json beside catalog-spec/ (the package root), never the working directory's. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(shippedText('package.json')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
