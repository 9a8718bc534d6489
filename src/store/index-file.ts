import { access, readFile } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { parseCached, rememberParsed } from '../fs/parsed-cache.js';
import { assertDescriptor, type Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { EMPTY_INDEX, type LayoutPaths } from './layout.js';

export interface IndexFile {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

const MAX_INDEX_BYTES = 64 * 1024 * 1024;

function parseIndex(bytes: Buffer, path: string): IndexFile {
  if (bytes.length > MAX_INDEX_BYTES)
    throw new ScrydonError('store_invalid', `${path} is larger than ${MAX_INDEX_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('store_invalid', `${path} is not valid JSON: ${(e as Error).message}`, {
      hint: 'run scrydon check',
    });
  }
  const o = v as Partial<IndexFile> | null;
  if (!o || typeof o !== 'object' || o.schemaVersion !== 2 || !Array.isArray(o.manifests)) {
    throw new ScrydonError('store_invalid', `${path} is not an OCI image index`, { hint: 'run scrydon check' });
  }
  o.manifests.forEach((m, i) => assertDescriptor(m, () => `${path}: manifests[${i}]`));
  return o as IndexFile;
}

/** Reads index.json; a missing file is an empty index (a fresh store). The result is frozen: build a new one. */
export async function readIndex(p: LayoutPaths): Promise<IndexFile> {
  const bytes = await readIndexBytes(p);
  return bytes ? parsedIndex(p, bytes) : ({ ...EMPTY_INDEX, manifests: [] } as IndexFile);
}

/** index.json's bytes (none when there is no file), for what is keyed by them; parse them with parsedIndex. */
export async function readIndexBytes(p: LayoutPaths): Promise<Buffer | undefined> {
  try {
    return await readFile(p.index);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** index.json's bytes parsed and checked (the parse of the same bytes is reused: fs/parsed-cache.ts); frozen. */
export function parsedIndex(p: LayoutPaths, bytes: Buffer): IndexFile {
  return parseCached(p.index, bytes, (b: Buffer) => parseIndex(b, p.index));
}

/** Writes index.json atomically in the canonical form. Call only while holding the index lock. */
async function writeIndex(p: LayoutPaths, index: IndexFile): Promise<void> {
  const out: IndexFile = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index.manifests };
  if (index.annotations) out.annotations = index.annotations;
  const bytes = Buffer.from(JSON.stringify(out, null, 2) + '\n');
  await writeFileAtomic(p.index, bytes);
  rememberParsed(p.index, bytes, out);
}

/**
 * Runs `fn` holding the index lock, with the current index and a writer for the new one. For work that must
 * keep tags still while it does I/O on blobs (gc); everything else uses updateIndex.
 */
export async function withIndexLock<T>(
  p: LayoutPaths,
  fn: (current: IndexFile, write: (next: IndexFile) => Promise<void>) => Promise<T>,
): Promise<T> {
  return withFileLock(p.index, async () => fn(await readIndex(p), (next) => writeIndex(p, next)));
}

type Update = {
  fn: (idx: IndexFile) => { index?: IndexFile; result: unknown };
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
};

/** Updates waiting for the lock, per index file: the next holder applies them all and writes once (group commit). */
const queued = new Map<string, Update[]>();

/**
 * Read-modify-write of index.json under the store lock, written atomically. `fn` returns the new index,
 * or no index to leave the file as it is. `fn` must be pure: updates that queue up in this process while the
 * lock is held are applied one after the other to the same read and written once (a reconcile tagging packs
 * four at a time rewrites index.json far fewer times); each still sees every update before it.
 */
export function updateIndex<T>(p: LayoutPaths, fn: (idx: IndexFile) => { index?: IndexFile; result: T }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let batch = queued.get(p.index);
    const first = batch === undefined;
    if (!batch) {
      batch = [];
      queued.set(p.index, batch);
    }
    batch.push({ fn, resolve: resolve as (r: unknown) => void, reject });
    if (first) applyQueued(p).catch(() => undefined);
  });
}

async function applyQueued(p: LayoutPaths): Promise<void> {
  let batch: Update[] = [];
  try {
    await withFileLock(p.index, async () => {
      batch = queued.get(p.index) ?? [];
      queued.delete(p.index); // later updates start the next batch
      let idx = await readIndex(p);
      let changed = false;
      const done: Array<() => void> = [];
      for (const u of batch) {
        try {
          const { index, result } = u.fn(idx);
          if (index) {
            idx = index;
            changed = true;
          }
          done.push(() => u.resolve(result));
        } catch (e) {
          done.push(() => u.reject(e));
        }
      }
      if (changed) await writeIndex(p, idx);
      for (const d of done) d();
    });
  } catch (e) {
    // the lock or the write failed: nothing of this batch was written. Without the lock the batch was never
    // taken: it is still the queued one (updates that came while waiting joined it)
    if (batch.length === 0) {
      batch = queued.get(p.index) ?? [];
      queued.delete(p.index);
    }
    for (const u of batch) u.reject(e);
  }
}

/**
 * Writes an empty index.json if there is none (under the lock, so no concurrent tag is lost). An index that
 * is there already needs no lock to stay there (it is only ever replaced by rename).
 */
export async function ensureIndex(p: LayoutPaths): Promise<void> {
  if (
    await access(p.index).then(
      () => true,
      () => false,
    )
  )
    return;
  await withFileLock(p.index, async () => {
    try {
      await readFile(p.index);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await writeFileAtomic(p.index, JSON.stringify(EMPTY_INDEX, null, 2) + '\n');
    }
  });
}
