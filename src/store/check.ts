import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDigest } from '../oci/digest.js';
import { Hashed, HashPool, hashEvery, Keep, type HashedBatch, type HashProblem } from './check-hash.js';
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

/** The manifests index.json lists come back whole from the hashing when at most this large. */
const KEEP_BYTES = 64 * 1024;

/**
 * What the hashing found of each file of blobs/sha256 whose name is a digest, by its place in name order: plain
 * arrays, not an object per blob, so a store of 10,000s of blobs costs a few bytes each.
 */
class Findings {
  readonly size: Float64Array;
  readonly status: Uint8Array;
  readonly #kept: Array<Buffer | undefined>;
  readonly #problems = new Map<number, HashProblem>();
  #places: Map<string, number> | undefined;

  constructor(readonly names: readonly string[]) {
    this.size = new Float64Array(names.length);
    this.status = new Uint8Array(names.length);
    this.#kept = new Array<Buffer | undefined>(names.length);
  }

  set(i: number, size: number, status: number, problem?: HashProblem, kept?: Buffer): void {
    this.size[i] = size;
    this.status[i] = status;
    if (problem) this.#problems.set(i, problem);
    if (kept) this.#kept[i] = kept;
  }

  problem(i: number): HashProblem {
    return this.#problems.get(i) ?? {};
  }

  /** The place of `digest`'s file, when it hashed to its name. */
  sound(digest: string): number | undefined {
    this.#places ??= new Map(this.names.map((n, i) => [n, i]));
    const i = digest.startsWith('sha256:') ? this.#places.get(digest.slice(7)) : undefined;
    return i !== undefined && this.status[i] === Hashed.Sound ? i : undefined;
  }

  kept(i: number): Buffer | undefined {
    return this.#kept[i];
  }
}

/** The fault of a blob file that did not hash to its name, or could not be read. */
function faultOf(found: Findings, i: number, path: string, expected: string): Fault {
  const { openError: e, digest } = found.problem(i);
  if (e?.code === 'ENOENT') return { kind: 'missing', digest: expected, detail: 'blob vanished while checking' };
  if (e?.code === 'ELOOP') return { kind: 'not_regular_file', digest: expected, detail: `${path} is a symbolic link` };
  if (e) return { kind: 'not_regular_file', digest: expected, detail: e.message };
  return { kind: 'digest_mismatch', digest: expected, detail: `content hashes to ${digest}` };
}

/**
 * Sizes and manifest bytes as the hashing found them: a blob file it read whole and that hashed right answers from
 * memory; anything else (not listed, unreadable, damaged, not kept) is read from the store as a plain mark reads it.
 */
function readsFrom(store: Store, found: Findings): MarkReads {
  return {
    size: async (digest) => {
      const i = found.sound(digest);
      return i === undefined ? blobSize(store.paths, digest) : found.size[i];
    },
    bytes: async (d) => {
      const i = found.sound(d.digest);
      const b = i === undefined ? undefined : found.kept(i);
      return b && b.byteLength === d.size ? b : store.fetchBytes(d);
    },
  };
}

/** The blob files, in name order: the names that are digests, which of them are regular files, and faults for the rest. */
async function listBlobs(
  dir: string,
  faults: Fault[],
): Promise<{ names: string[]; regular: number[]; irregular: Array<{ i: number; link: boolean }> }> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names: string[] = [];
  const regular: number[] = []; // places in `names` of the regular files: what the threads open
  const irregular: Array<{ i: number; link: boolean }> = [];
  for (const e of entries) {
    if (!isDigest(`sha256:${e.name}`)) {
      faults.push({
        kind: 'not_regular_file',
        digest: e.name,
        detail: 'a file under blobs/sha256 whose name is not a sha256 hex digest',
      });
      continue;
    }
    if (e.isFile()) regular.push(names.length);
    else irregular.push({ i: names.length, link: e.isSymbolicLink() });
    names.push(e.name);
  }
  return { names, regular, irregular };
}

/** Rehashes every blob and validates every manifest and tag (hauler's `info --check`, plus graph checks). */
export async function checkStore(store: Store): Promise<CheckReport> {
  const dir = store.paths.blobsDir;
  // the hashing threads boot while the blob directory is listed, and hash while index.json is read
  const pool = new HashPool(dir);
  try {
    const reading = store.index();
    const faults: Fault[] = [];
    const { names, regular, irregular } = await listBlobs(dir, faults);
    const found = new Findings(names);
    for (const { i, link } of irregular) {
      // what the listing says is no regular file is not opened (the threads open without a stat)
      const path = join(dir, names[i] as string);
      const openError = link
        ? { code: 'ELOOP', message: `${path} is a symbolic link` }
        : { code: 'ENOTFILE', message: `${path} is not a regular file` };
      found.set(i, 0, Hashed.Unreadable, { openError });
    }
    // hashed on every core (check-hash.ts); JSON files come back whole, and the manifests index.json lists are kept
    let listed: Set<string> | undefined = undefined; // until index.json is parsed
    const waiting: Array<[number, HashedBatch]> = []; // answers that came before index.json was parsed
    let sniffed = 0; // the files before this one were sent before it was: every JSON file of theirs came back
    const take = (start: number, b: HashedBatch, l: ReadonlySet<string>) => {
      const early = start < sniffed;
      for (let j = 0; j < b.status.length; j++) {
        const i = regular[start + j] as number;
        const st = b.status[j] as Hashed;
        const bytes = b.bytes(j);
        // an early batch holds configs too: what is kept of it is copied out, so its buffer is let go
        const kept = bytes && l.has(`sha256:${names[i]}`) ? (early ? Buffer.from(bytes) : bytes) : undefined;
        found.set(i, b.sizes[j] as number, st, st === Hashed.Sound ? undefined : b.problem(j), kept);
      }
    };
    const hashing = hashEvery(
      pool,
      regular.map((i) => names[i] as string),
      // before index.json is parsed every JSON file comes back whole, after it only the manifests it lists
      (j) => {
        if (!listed) sniffed = j + 1;
        return !listed ? Keep.Json : listed.has(`sha256:${names[regular[j] as number]}`) ? Keep.Yes : Keep.No;
      },
      KEEP_BYTES,
      (start, b) => (listed ? take(start, b, listed) : waiting.push([start, b])),
    );
    const idx = await reading.catch(async (e: unknown) => {
      await hashing.catch(() => undefined);
      throw e;
    });
    listed = new Set<string>(idx.manifests.filter((m) => isGraphNodeType(m.mediaType)).map((m) => m.digest));
    for (const [start, b] of waiting.splice(0)) take(start, b, listed);
    await hashing;
    await pool.close(); // their memory is given back before the walk takes its own
    // then the graph walk asks the hashing's answers, not the disk, for what it found (a size, a manifest's bytes)
    const marked = await markReachable(store, idx, { reads: readsFrom(store, found) });
    let bytes = 0;
    for (let i = 0; i < names.length; i++) {
      bytes += found.size[i] as number;
      // a sound blob's path is never made: only a fault names it
      if (found.status[i] !== Hashed.Sound)
        faults.push(faultOf(found, i, join(dir, names[i] as string), `sha256:${names[i]}`));
    }
    faults.push(...marked.faults);
    const tags = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] !== undefined).length;
    return { ok: faults.length === 0, blobs: names.length, bytes, tags, faults };
  } finally {
    await pool.close();
  }
}
