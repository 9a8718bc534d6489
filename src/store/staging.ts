import { randomBytes } from 'node:crypto';
import { lstatSync, renameSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Committer, IoOptions, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { fsyncDir } from '../fs/atomic-write.js';
import { lockfileLib } from '../fs/lock.js';
import { plainDescriptor, referrerEntry, type Descriptor } from '../oci/descriptor.js';
import { artifactTypeOf, parseGraphNode, subjectOf } from '../oci/manifest.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import { readVerified } from '../content/buffer-body.js';
import { fastPaths } from '../fast-paths.js';
import { digestHex } from '../oci/digest.js';
import { syncBlobs } from './blobs.js';
import { updateIndex } from './index-file.js';
import type { LayoutPaths } from './layout.js';
import { Lease } from './lease.js';
import { parseReference } from '../oci/reference.js';
import { assertTaggable } from './pin.js';
import { createSmallBlobSync, SMALL_BLOB_BYTES } from './small-blob.js';
import { SmallBlobThread } from './small-blob-thread.js';
import { Store } from './store-target.js';
import { storeRefName } from '../names/store.js';

const PREFIX = 'load-';
/** A staging dir's lock is refreshed this often while its load runs, and is stale (its owner died) after STALE_MS. */
const UPDATE_MS = 5_000;
const STALE_MS = 15_000;
/** Staging dirs older than this whose lock is stale are leftovers of a killed load. */
const STALE_STAGING_AGE_MS = 5 * 60_000;
/** Store lookups made with a stat each before the store's blob directory is listed once instead. */
const LOOKUPS_BEFORE_LISTING = 64;
/** Staged blobs held by one lease write at commit. */
const HOLD_SLICE = 4096;
/** Small blobs written here before the rest are handed to a thread of their own (a small pull starts none). */
const THREAD_FROM = 256;
/** Blobs renamed in between two turns of the event loop (its timers: the staging lock's refresh). */
const RENAMES_PER_TURN = 1024;

/**
 * An all-or-nothing view of a store for load: pushes go into a private staging layout under catalog/ingest/
 * (verified exactly as the store verifies, by the store's own code), exists() sees the store and the staging
 * area, tags wait in memory. commit() renames the staged blobs into blobs/ (children before parents) and then
 * writes every tag and referrer entry in ONE index.json update. Until then nothing is visible; discard()
 * (or a crash, cleaned by removeStaleStaging) leaves the store as it was. What exists() finds in the store, and
 * what commit() renames in, is held under a lease (lease.ts) until the tags are written, so gc, whatever its grace,
 * never takes a blob this copy found in the store and skipped, nor one it renamed in.
 */
export class StagingTarget implements Target, Committer {
  readonly name: string;
  readonly #store: Store;
  readonly #staging: Store;
  readonly #dir: string;
  readonly #release: () => Promise<void>;
  readonly #lease: Lease;
  readonly #staged: Descriptor[] = [];
  readonly #stagedSet = new Set<string>();
  readonly #tags = new Map<string, Descriptor>();
  /** Index entries of the referrers staged by the small-blob path (the others are in the staging layout's index). */
  readonly #referrers = new Map<string, Descriptor>();
  /** The store's blob names, once this copy looked up enough of them (#inStore). */
  #listed: Promise<Set<string>> | undefined;
  #lookups = 0;
  /** Small blobs written so far, and the thread that writes the rest (small-blob-thread.ts). */
  #smallWrites = 0;
  readonly #writeThread: boolean;
  #files: SmallBlobThread | undefined;
  #done = false;

  private constructor(store: Store, staging: Store, dir: string, release: () => Promise<void>, writeThread: boolean) {
    this.#writeThread = writeThread;
    this.#store = store;
    this.#staging = staging;
    this.#dir = dir;
    this.#release = release;
    this.#lease = new Lease(store.paths);
    this.name = store.name;
  }

  /**
   * `o.writeThread`: small blobs past the first THREAD_FROM are written by a thread of their own (a load, whose
   * source is a local file and whose main thread is busy; a pull waits on the network instead, and keeps the
   * memory a thread takes).
   */
  static async create(store: Store, o: { writeThread?: boolean } = {}): Promise<StagingTarget> {
    const dir = join(store.paths.ingest, `${PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir);
    let release: () => Promise<void>;
    try {
      release = await (
        await lockfileLib()
      ).lock(dir, { realpath: false, stale: STALE_MS, update: UPDATE_MS, onCompromised: () => undefined });
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    try {
      const layout = await Store.open(dir, { deferSync: true });
      return new StagingTarget(store, layout, dir, release, o.writeThread === true && fastPaths());
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      await release().catch(() => undefined);
      throw e;
    }
  }

  async exists(d: Descriptor): Promise<boolean> {
    // what is found in the store is held: it stays until the tags are written
    return this.#stagedSet.has(d.digest) || (await this.#lease.holdPresent(d, () => this.#inStore(d)));
  }

  /**
   * Whether the store has `d`. A copy of many blobs (a load of thousands) lists the store's blobs once, past the
   * first LOOKUPS_BEFORE_LISTING, instead of a stat each: a blob the listing lacks is not looked for again (one that
   * appeared since is staged and renamed over with the same bytes); a listed one is looked at, as it may have been
   * collected since. A small copy (one pack pulled) never lists a large store.
   */
  async #inStore(d: Descriptor): Promise<boolean> {
    if (!this.#listed && ++this.#lookups > LOOKUPS_BEFORE_LISTING)
      this.#listed = readdir(this.#store.paths.blobsDir).then((names) => new Set(names));
    if (this.#listed && !(await this.#listed).has(digestHex(d.digest))) return false;
    return this.#store.exists(d);
  }

  async fetch(d: Descriptor): Promise<Readable> {
    if (!this.#stagedSet.has(d.digest)) return this.#store.fetch(d);
    await this.#files?.flush(); // a staged blob may still be on its way to disk
    return this.#staging.fetch(d);
  }

  async resolve(ref: string): Promise<Descriptor> {
    const { digest } = parseReference(ref);
    if (digest && this.#stagedSet.has(digest)) {
      await this.#files?.flush();
      return this.#staging.resolve(ref);
    }
    const pending = digest ? undefined : this.#tags.get(storeRefName(ref));
    return pending ?? this.#store.resolve(ref);
  }

  async push(d: Descriptor, body: Readable, o: IoOptions = {}): Promise<void> {
    this.#assertOpen();
    if (d.size <= SMALL_BLOB_BYTES && fastPaths()) {
      // a small blob is verified whole in memory and written straight under its name in the private staging
      // layout, in one synchronous call: no temp name, rename or chmod, no thread-pool round trips (a crash
      // mid-write leaves it only in the staging dir, which is thrown away); it is made durable at commit
      const bytes = await readVerified(body, d, `blob ${d.digest}`);
      if (isGraphNodeType(d.mediaType)) {
        // a manifest is parsed, as the store parses one it is given, and a referrer's index entry remembered
        const node = parseGraphNode(bytes, d.mediaType, `manifest ${d.digest}`);
        const subject = subjectOf(node);
        if (subject) this.#referrers.set(d.digest, referrerEntry(d, subject, artifactTypeOf(node)));
      }
      await this.#writeSmall(d, bytes);
    } else await this.#staging.push(d, body, o);
    if (!this.#stagedSet.has(d.digest)) {
      this.#stagedSet.add(d.digest);
      this.#staged.push(plainDescriptor(d));
    }
  }

  /**
   * Writes a small verified blob under its name in the staging layout: in place, in one synchronous call; when
   * create() was asked for a thread, the ones past the first THREAD_FROM are handed to a thread that creates them on
   * the other core while this one verifies what comes next (what a load of thousands of small packs spent a third of
   * its time on). All of them are on disk before commit() syncs them.
   */
  async #writeSmall(d: Descriptor, bytes: Buffer): Promise<void> {
    if (this.#files) return this.#files.write(digestHex(d.digest), bytes);
    createSmallBlobSync(this.#staging.paths.blob(d.digest), bytes);
    if (++this.#smallWrites >= THREAD_FROM && this.#writeThread)
      this.#files = new SmallBlobThread(this.#staging.paths.blobsDir);
  }

  async tag(d: Descriptor, ref: string): Promise<void> {
    this.#assertOpen();
    if (!(await this.exists(d)))
      throw new ScrydonError(
        'blob_missing',
        `cannot tag ${ref}: manifest ${d.digest} was neither loaded nor in the store`,
      );
    const name = storeRefName(ref, { digest: d.digest });
    assertTaggable(name, d.mediaType);
    this.#tags.set(name, plainDescriptor(d));
  }

  /** Pending tags, as they will be written. */
  pendingTags(): Array<{ ref: string; descriptor: Descriptor }> {
    return [...this.#tags].map(([ref, descriptor]) => ({ ref, descriptor }));
  }

  async commit(o: IoOptions = {}): Promise<void> {
    this.#assertOpen();
    o.signal?.throwIfAborted();
    const referrers = [
      ...(await this.#staging.index()).manifests.filter((m) => m.annotations?.[Annotation.subject] !== undefined),
      ...this.#referrers.values(),
    ];
    await this.#files?.flush();
    const stagedPaths = this.#staging.paths;
    // what is renamed in stays until the tags are written; held a slice at a time, so what one hold costs per
    // descriptor (a promise, a reaction, a JSON line) is not made for all of a load's thousands at once
    for (let i = 0; i < this.#staged.length; i += HOLD_SLICE)
      await this.#lease.hold(this.#staged.slice(i, i + HOLD_SLICE));
    // every staged byte on disk before any of it is renamed in (many at once: one sync of the file system)
    await syncBlobs(
      stagedPaths,
      this.#staged.map((d) => d.digest),
    );
    if (this.#moveWholeDir()) await fsyncDir(dirname(this.#store.paths.blobsDir));
    else await this.#moveEach();
    await fsyncDir(this.#store.paths.blobsDir);
    await updateIndex(this.#store.paths, (idx) => {
      const refOf = (m: Descriptor) => m.annotations?.[Annotation.refName];
      const has = new Set(idx.manifests.map((m) => `${refOf(m) ?? ''}@${m.digest}`));
      const changed = [...this.#tags].filter(([ref, d]) => !has.has(`${ref}@${d.digest}`));
      const listed = new Set(
        idx.manifests.filter((m) => m.annotations?.[Annotation.subject] !== undefined).map((m) => m.digest),
      );
      const newReferrers = referrers.filter((r) => !listed.has(r.digest));
      if (changed.length === 0 && newReferrers.length === 0) return { result: undefined };
      const moved = new Set(changed.map(([ref]) => ref));
      const manifests = idx.manifests.filter((m) => !moved.has(refOf(m) ?? ''));
      for (const [ref, d] of changed) manifests.push({ ...d, annotations: { [Annotation.refName]: ref } });
      manifests.push(...newReferrers);
      return { index: { ...idx, manifests }, result: undefined };
    });
    this.#done = true;
    await this.#cleanup();
  }

  /**
   * Plain blobs, then manifests children first: a manifest in blobs/ means its children are there. One synchronous
   * rename each (a metadata change: no thread-pool round trip per blob), a turn of the event loop every so often.
   */
  async #moveEach(): Promise<void> {
    const moves = [
      ...this.#staged.filter((d) => !isGraphNodeType(d.mediaType)),
      ...this.#staged.filter((d) => isGraphNodeType(d.mediaType)),
    ];
    for (let i = 0; i < moves.length; i++) {
      const d = moves[i] as Descriptor;
      renameSync(this.#staging.paths.blob(d.digest), this.#store.paths.blob(d.digest));
      if (i % RENAMES_PER_TURN === RENAMES_PER_TURN - 1) await new Promise(setImmediate);
    }
  }

  /**
   * Into a store whose blob directory is empty (a first load), the staging layout's blob directory, every staged
   * blob in it, takes its place in one rename: atomic as each blob's rename is, and one directory operation
   * instead of thousands. False (nothing moved) when the store's is not empty, when it differs from the staged one
   * in mode or owner (a site that made its store's directory group-writable keeps it so), or the rename cannot be
   * made.
   */
  #moveWholeDir(): boolean {
    try {
      const [mine, theirs] = [this.#staging.paths.blobsDir, this.#store.paths.blobsDir].map((d) => lstatSync(d));
      if (!mine || !theirs || mine.mode !== theirs.mode || mine.uid !== theirs.uid || mine.gid !== theirs.gid)
        return false;
      renameSync(this.#staging.paths.blobsDir, this.#store.paths.blobsDir);
      return true;
    } catch {
      return false; // not empty (ENOTEMPTY, EEXIST), or not a plain directory: blob by blob
    }
  }

  /** Throws the staged content away (a failed load). Idempotent. */
  async discard(): Promise<void> {
    this.#done = true;
    await this.#cleanup();
  }

  async #cleanup(): Promise<void> {
    try {
      await this.#files?.close(); // nothing written into the directory once it is being removed
      await this.#lease.release();
    } finally {
      await rm(this.#dir, { recursive: true, force: true });
      await this.#release().catch(() => undefined);
    }
  }

  #assertOpen(): void {
    if (this.#done) throw new ScrydonError('internal', `staging area ${this.#dir} is already closed`);
  }
}

/**
 * Removes staging dirs left by killed loads: older than `olderThanMs` and not locked by a live process.
 * Returns the paths removed. gc may call this too.
 */
export async function removeStaleStaging(
  p: LayoutPaths,
  olderThanMs = STALE_STAGING_AGE_MS,
  now = Date.now(),
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(p.ingest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  const lockfile = await lockfileLib();
  for (const name of names) {
    if (!name.startsWith(PREFIX) || name.endsWith('.lock')) continue;
    const dir = join(p.ingest, name);
    try {
      const st = await stat(dir);
      if (!st.isDirectory() || now - st.mtimeMs < olderThanMs) continue;
      if (await lockfile.check(dir, { realpath: false, stale: STALE_MS })) continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.lock`, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
