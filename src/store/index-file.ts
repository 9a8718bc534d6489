import { createHash } from 'node:crypto';
import { access, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { settleRenamesInto } from '../fs/dir-sync.js';
import { withFileLock } from '../fs/lock.js';
import { parseCached, parsedIfCached, rememberParsed } from '../fs/parsed-cache.js';
import { assertDescriptor, shareTypes, type Descriptor } from '../oci/descriptor.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { CanonicalIndex, isForeignEntry } from './index-bytes.js';
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
  o.manifests.forEach((m, i) => {
    assertDescriptor(m, () => `${path}: manifests[${i}]`);
    shareTypes(m); // a parse is kept (parsed-cache.ts): 10,000 entries, 20,000 copies of a few type strings
  });
  return o as IndexFile;
}

/** Reads index.json; a missing file is an empty index (a fresh store). The result is frozen: build a new one. */
export async function readIndex(p: LayoutPaths): Promise<IndexFile> {
  const bytes = await readIndexBytes(p);
  return bytes ? parsedIndex(p, bytes) : ({ ...EMPTY_INDEX, manifests: [] } as IndexFile);
}

/**
 * The bytes of each index.json this process last read, with the file's identity then (device, inode, size, mtime,
 * ctime). A store look-up reads the index several times (an inspect: the tag, the referrers, the receipts); a
 * later read of an unchanged file returns the same Buffer, so what is keyed by the bytes compares by reference.
 * Writers replace index.json by rename (a new inode) and an in-place rewrite changes ctime; a file changed within
 * a clock tick of the read (ctime then not yet settled) is never reused, the race git calls "racily clean".
 */
const lastRead = new Map<string, { id: string; bytes: Buffer }>();
/** How old a file's ctime must be at the read for the bytes to be reused: above any file system clock's tick. */
const SETTLED_NS = 50_000_000n;

/** index.json's bytes (none when there is no file), for what is keyed by them; parse them with parsedIndex. */
export async function readIndexBytes(p: LayoutPaths): Promise<Buffer | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(p.index, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const now = BigInt(Date.now()) * 1_000_000n;
    const st = await fh.stat({ bigint: true });
    const id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const last = lastRead.get(p.index);
    if (last?.id === id) return last.bytes;
    const bytes = await fh.readFile();
    lastRead.delete(p.index);
    if (now - st.ctimeNs > SETTLED_NS && BigInt(bytes.length) === st.size) {
      lastRead.set(p.index, { id, bytes });
      if (lastRead.size > 4) lastRead.delete(lastRead.keys().next().value as string); // staging stores come and go
    }
    return bytes;
  } finally {
    await fh.close();
  }
}

/** index.json's bytes parsed and checked (the parse of the same bytes is reused: fs/parsed-cache.ts); frozen. */
function parsedIndex(p: LayoutPaths, bytes: Buffer): IndexFile {
  return parseCached(p.index, bytes, (b: Buffer) => parseIndex(b, p.index));
}

/** Writes index.json atomically in the canonical form. Call only while holding the index lock. */
async function writeIndex(p: LayoutPaths, index: IndexFile): Promise<void> {
  const out: IndexFile = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index.manifests };
  if (index.annotations) out.annotations = index.annotations;
  const bytes = Buffer.from(JSON.stringify(out, null, 2) + '\n');
  await writeCanonical(p, bytes, out.manifests.some(isForeignEntry));
  rememberParsed(p.index, bytes, out);
}

/**
 * `scrydon-index-sha256`, a derived file: the sha256 of the index.json bytes last written here in the canonical
 * form, from an index whose every entry was checked. index.json with those bytes is read and edited as bytes
 * (index-bytes.ts) instead of being parsed whole; any other bytes (skopeo's, umoci's, a hand edit, a stale or
 * missing record) are parsed and checked as ever. Written after index.json, without fsync: a crash can only leave
 * it older than index.json, which is a mismatch.
 */
function recordPath(p: LayoutPaths): string {
  return join(p.root, 'scrydon-index-sha256');
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Writes canonical index.json bytes and records them, with whether some entry is foreign (isForeignEntry) when that
 * is known: `<sha256>\n` then `foreign 0|1\n`. Call only while holding the index lock.
 */
async function writeCanonical(p: LayoutPaths, bytes: Buffer, foreign: boolean | undefined): Promise<void> {
  // blobs this process renamed in are durable before the index can name them (their directory's fsync was owed)
  await settleRenamesInto(p.blobsDir);
  await writeFileAtomic(p.index, bytes);
  const record = `${sha256(bytes)}\n${foreign === undefined ? '' : `foreign ${foreign ? 1 : 0}\n`}`;
  await writeFileAtomic(recordPath(p), record, 0o644, { durable: false }).catch(() => undefined);
}

/** The bytes this process last found recorded and their sha256, per index.json: a second look-up compares bytes. */
const lastRecorded = new Map<string, { bytes: Buffer; sum: string }>();

/** When `bytes` are the ones recorded: whether some entry is foreign, if the record says; else undefined. */
async function recorded(p: LayoutPaths, bytes: Buffer): Promise<{ foreign: boolean | undefined } | undefined> {
  const rec = await readFile(recordPath(p), 'latin1').catch(() => undefined);
  if (rec === undefined) return undefined;
  const last = lastRecorded.get(p.index);
  const sum = last?.bytes.equals(bytes) ? last.sum : sha256(bytes);
  const [line, flag, ...rest] = rec.split('\n');
  if (line !== sum || rest.some((l) => l !== '')) return undefined;
  lastRecorded.set(p.index, { bytes, sum });
  return { foreign: flag === 'foreign 0' ? false : flag === 'foreign 1' ? true : undefined };
}

/**
 * index.json for look-ups (a tag, a digest, a subject): the parse this process already has of its bytes, else the
 * bytes themselves when they are the ones recorded (nothing is parsed but the entries looked at), else parsed.
 */
export async function indexView(p: LayoutPaths): Promise<IndexFile | CanonicalIndex> {
  const bytes = await readIndexBytes(p);
  return bytes ? viewOf(p, bytes) : emptyIndex();
}

/** indexView() of bytes already read (readIndexBytes). */
export async function viewOf(p: LayoutPaths, bytes: Buffer): Promise<IndexFile | CanonicalIndex> {
  const parsed = parsedIfCached(p.index, bytes) as IndexFile | undefined;
  if (parsed) return parsed;
  const rec = await recorded(p, bytes);
  return rec ? new CanonicalIndex(bytes, rec.foreign) : parsedIndex(p, bytes);
}

const emptyIndex = (): IndexFile => ({ ...EMPTY_INDEX, manifests: [] }) as IndexFile;

/** The edits a tag or an untag makes, on the parsed index or on its bytes alike (editIndex). */
interface TagEditor {
  /** The first entry whose ref.name is `name`. */
  tagged(name: string): Descriptor | undefined;
  /** Removes the first entry whose ref.name is `name` (every one, with `all`); whether one was there. */
  untag(name: string, all?: boolean): boolean;
  append(d: Descriptor): void;
}

/** TagEditor over a parsed index; `index` is the edited one. */
class ParsedEditor implements TagEditor {
  changed = false;
  constructor(public index: IndexFile) {}
  tagged(name: string): Descriptor | undefined {
    return this.index.manifests.find((m) => m.annotations?.[Annotation.refName] === name);
  }
  untag(name: string, all = false): boolean {
    const hit = this.tagged(name);
    if (!hit) return false;
    const manifests = this.index.manifests.filter((m) =>
      all ? m.annotations?.[Annotation.refName] !== name : m !== hit,
    );
    this.#set(manifests);
    return true;
  }
  append(d: Descriptor): void {
    this.#set([...this.index.manifests, d]);
  }
  #set(manifests: Descriptor[]): void {
    this.index = { ...this.index, manifests };
    this.changed = true;
  }
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
  /** A read-modify-write of the parsed index (updateIndex), or tag edits (editIndex). */
  fn: ((idx: IndexFile) => { index?: IndexFile; result: unknown }) | { edit: (ed: TagEditor) => unknown };
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
  return enqueue(p, fn);
}

/**
 * updateIndex for tags: `edit` finds, removes and appends entries through a TagEditor, so an index.json this
 * store wrote (recorded: see recordPath) is edited as bytes, parsing only the entries it touches. Pure, as
 * updateIndex's `fn`; a throw leaves the index as the update before it left it.
 */
export function editIndex<T>(p: LayoutPaths, edit: (ed: TagEditor) => T): Promise<T> {
  return enqueue(p, { edit });
}

function enqueue<T>(p: LayoutPaths, fn: Update['fn']): Promise<T> {
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
      const bytes = await readIndexBytes(p);
      let idx = bytes ? await viewOf(p, bytes) : emptyIndex();
      let changed = false;
      const done: Array<() => void> = [];
      for (const u of batch) {
        try {
          const { index, result } = apply(p, idx, u.fn);
          if (index) {
            idx = index;
            changed = true;
          }
          done.push(() => u.resolve(result));
        } catch (e) {
          done.push(() => u.reject(e));
        }
      }
      if (changed)
        // the flag searched for once when an older record lacked it: from then on it is recorded
        await (idx instanceof CanonicalIndex ? writeCanonical(p, idx.bytes, idx.someForeign()) : writeIndex(p, idx));
      // a tag index.json already had (a blob pulled again into a damaged store): still durable before it returns
      else await settleRenamesInto(p.blobsDir);
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

/** One queued update applied to `idx`: the index it made (none when unchanged) and its result. */
function apply(
  p: LayoutPaths,
  idx: IndexFile | CanonicalIndex,
  fn: Update['fn'],
): { index?: IndexFile | CanonicalIndex; result: unknown } {
  if (typeof fn === 'function') return fn(idx instanceof CanonicalIndex ? parsedIndex(p, idx.bytes) : idx);
  if (idx instanceof CanonicalIndex) {
    const ed = new CanonicalIndex(idx.bytes, idx.knownForeign); // edits make new bytes: a throw leaves idx as it was
    const result = fn.edit(ed);
    return ed.bytes !== idx.bytes ? { index: ed, result } : { result };
  }
  const ed = new ParsedEditor(idx);
  const result = fn.edit(ed);
  return ed.changed ? { index: ed.index, result } : { result };
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
