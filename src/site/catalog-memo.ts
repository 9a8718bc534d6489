import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Digest } from '../oci/digest.js';

/**
 * What the YAML of each recently generated site catalog was (`state/publish-catalogs.json`): the sha256 of the
 * catalog's JSON → the digest and size of the YAML publish made of it, which passed the catalog checks then. A
 * re-run whose catalog has a known YAML, and whose registry tag names the artifact of that YAML, needs neither to
 * make the YAML again nor to check it. Derived and rebuildable: a missing or unreadable file is an empty memo.
 */
interface CatalogLayer {
  digest: Digest;
  size: number;
}

/** Catalogs remembered (the newest first): a site publishing a few tags from one store finds each. */
const KEEP = 8;

type Memo = Array<[string, CatalogLayer]>;

/** The key of a catalog value: the sha256 of its JSON. */
export function catalogKey(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

async function readMemo(file: string): Promise<Memo> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter(
      (e): e is [string, CatalogLayer] =>
        Array.isArray(e) &&
        typeof e[0] === 'string' &&
        typeof e[1] === 'object' &&
        e[1] !== null &&
        typeof (e[1] as CatalogLayer).digest === 'string' &&
        /^sha256:[a-f0-9]{64}$/.test((e[1] as CatalogLayer).digest) &&
        Number.isSafeInteger((e[1] as CatalogLayer).size),
    );
  } catch {
    return [];
  }
}

/** The YAML layer remembered for `key`, if any. */
export async function knownCatalogLayer(file: string, key: string): Promise<CatalogLayer | undefined> {
  return (await readMemo(file)).find(([k]) => k === key)?.[1];
}

/** Remembers `layer` as the YAML of `key` (a failure to write only costs the next run the YAML). */
export async function rememberCatalogLayer(file: string, key: string, layer: CatalogLayer): Promise<void> {
  const memo = (await readMemo(file)).filter(([k]) => k !== key);
  const next: Memo = [[key, { digest: layer.digest, size: layer.size }] as [string, CatalogLayer], ...memo].slice(
    0,
    KEEP,
  );
  await mkdir(dirname(file), { recursive: true })
    .then(() => writeFileAtomic(file, JSON.stringify(next) + '\n', 0o644, { durable: false }))
    .catch(() => undefined);
}
