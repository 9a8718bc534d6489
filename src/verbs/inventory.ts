import { readdir, readFile, stat } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';
import { isDigest, type Digest } from '../oci/digest.js';
import type { Store } from '../store/store-target.js';

/** The blobs a store holds, for an air-gap delta: the sender leaves these out of its next archive. */
interface Inventory {
  schemaVersion: 1;
  digests: Digest[];
}

const MAX_INVENTORY_BYTES = 64 * 1024 * 1024;

/** Every blob in the store (complete blobs only: ingest temp files are not listed), sorted. */
export async function storeInventory(store: Store): Promise<Inventory> {
  const entries = await readdir(store.paths.blobsDir, { withFileTypes: true });
  const digests = entries
    .filter((e) => e.isFile())
    .map((e) => `sha256:${e.name}`)
    .filter(isDigest)
    .sort();
  return { schemaVersion: 1, digests };
}

export function encodeInventory(inv: Inventory): string {
  return JSON.stringify(inv, null, 2) + '\n';
}

/** Parses an inventory file (untrusted: bounded, every digest checked). */
function parseInventory(text: string, what: string): Set<Digest> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw invalid(what, `not JSON (${(e as Error).message})`);
  }
  const o = v as { schemaVersion?: unknown; digests?: unknown } | null;
  if (!o || typeof o !== 'object' || o.schemaVersion !== 1 || !Array.isArray(o.digests)) {
    throw invalid(what, 'expected {"schemaVersion": 1, "digests": [...]}');
  }
  const out = new Set<Digest>();
  o.digests.forEach((d, i) => {
    if (!isDigest(d)) throw invalid(what, `digests[${i}] is not sha256:<64 hex>`);
    out.add(d);
  });
  return out;
}

export async function readInventoryFile(path: string): Promise<Set<Digest>> {
  const what = `inventory ${path}`;
  const st = await stat(path);
  if (st.size > MAX_INVENTORY_BYTES) throw invalid(what, `larger than ${MAX_INVENTORY_BYTES} bytes`);
  return parseInventory(await readFile(path, 'utf8'), what);
}

function invalid(what: string, why: string): ScrydonError {
  return new ScrydonError('inventory_invalid', `${what}: ${why}`, {
    hint: 'write one with scrydon inventory -o FILE on the receiving machine',
  });
}
