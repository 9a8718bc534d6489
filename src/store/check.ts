import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest } from '../oci/digest.js';
import { rehashFiles, type Rehashed } from './check-hash.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import { blobSize } from './blobs.js';
import { markReachable, type Fault, type MarkReads } from './mark.js';
import type { Store } from './store-target.js';

export interface CheckReport {
  ok: boolean;
  blobs: number;
  bytes: number;
  tags: number;
  faults: Fault[];
}

/** A fault for a blob file that did not hash to its name, or could not be read; none when it is sound. */
function faultOf(r: Rehashed, path: string, expected: string): Fault | undefined {
  const e = r.openError;
  if (e?.code === 'ENOENT') return { kind: 'missing', digest: expected, detail: 'blob vanished while checking' };
  if (e?.code === 'ELOOP') return { kind: 'not_regular_file', digest: expected, detail: `${path} is a symbolic link` };
  if (e) return { kind: 'not_regular_file', digest: expected, detail: e.message };
  return r.digest === expected
    ? undefined
    : { kind: 'digest_mismatch', digest: expected, detail: `content hashes to ${r.digest}` };
}

/**
 * Sizes and manifest bytes as the hashing found them: a blob file it read whole and that hashed right answers from
 * memory; anything else (not listed, unreadable, damaged, not kept) is read from the store as a plain mark reads it.
 */
function readsFrom(store: Store, found: ReadonlyMap<string, Rehashed>): MarkReads {
  const sound = (digest: string) => {
    const r = found.get(digest);
    return r && r.openError === undefined && r.digest === digest ? r : undefined;
  };
  return {
    size: async (digest) => sound(digest)?.size ?? blobSize(store.paths, digest),
    bytes: async (d) => {
      const b = sound(d.digest)?.bytes;
      return b && b.byteLength === d.size ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : store.fetchBytes(d);
    },
  };
}

/** Rehashes every blob and validates every manifest and tag (hauler's `info --check`, plus graph checks). */
export async function checkStore(store: Store): Promise<CheckReport> {
  const idx = await store.index();
  const faults: Fault[] = [];
  let blobs = 0;
  let bytes = 0;
  const named: Array<{ path: string; digest: string }> = [];
  for (const name of (await readdir(store.paths.blobsDir)).sort()) {
    const digest = `sha256:${name}`;
    if (!isDigest(digest)) {
      faults.push({
        kind: 'not_regular_file',
        digest: name,
        detail: 'a file under blobs/sha256 whose name is not a sha256 hex digest',
      });
      continue;
    }
    named.push({ path: join(store.paths.blobsDir, name), digest });
  }
  // hashed on every core (check-hash.ts), reported in name order; the manifests index.json lists come back whole
  const listed = new Set<string>(idx.manifests.filter((m) => isGraphNodeType(m.mediaType)).map((m) => m.digest));
  const hashed = await rehashFiles(
    named.map((b) => b.path),
    (i) => listed.has(named[i]?.digest ?? ''),
  );
  // then the graph walk asks the hashing's answers, not the disk, for what it found (a size, a manifest's bytes)
  const found = new Map(named.map((b, i) => [b.digest, hashed[i] as Rehashed]));
  const marked = await markReachable(store, idx, { reads: readsFrom(store, found) });
  named.forEach((b, i) => {
    const r = hashed[i] as Rehashed;
    const fault = faultOf(r, b.path, b.digest);
    blobs++;
    bytes += r.size;
    if (fault) faults.push(fault);
  });
  faults.push(...marked.faults);
  const tags = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] !== undefined).length;
  return { ok: faults.length === 0, blobs, bytes, tags, faults };
}
