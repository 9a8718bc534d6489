import { access } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';
import type { FetchOptions, IoOptions, ReferrerLister, TagLister, Target } from '../content/target.js';
import { BufferBody, readVerified } from '../content/buffer-body.js';
import { FileRangeBody } from '../content/file-range-body.js';
import { fastPaths } from '../fast-paths.js';
import { readAllBounded } from '../content/verify-stream.js';
import { MAX_MANIFEST_BYTES, plainDescriptor, referrerEntry, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { parseGraphNode, subjectOf, artifactTypeOf } from '../oci/manifest.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import { hasBlob, ingestBlob } from './blobs.js';
import { CanonicalIndex, isForeignEntry } from './index-bytes.js';
import {
  editIndex,
  ensureIndex,
  indexView,
  readIndex,
  readIndexBytes,
  updateIndex,
  viewOf,
  type IndexFile,
} from './index-file.js';
import { initLayout, LayoutPaths, openBlobFile } from './layout.js';
import { withLease } from './lease.js';
import { readSmallBlobSync, SMALL_BLOB_BYTES } from './small-blob.js';
import { sniffGraphNode } from './sniff.js';
import { assertTaggable, markPinsMigrated } from './pin.js';
import { pinnedDigest, storeRefName } from '../names/store.js';
import { byCodeUnits } from '../text-order.js';

interface TaggedEntry {
  ref: string;
  descriptor: Descriptor;
}

/**
 * The local store: an OCI image layout as a Target. Tags are ref.name annotations in index.json; referrer
 * manifests are untagged index.json entries carrying their subject's digest, so they stay reachable and
 * other tools (skopeo, oras) see a plain layout.
 */
/** Blobs under this size are fsynced at commit, all at once, when the store defers syncs (a staging area). */
const DEFER_SYNC_BELOW = 1024 * 1024;

export class Store implements Target, ReferrerLister, TagLister {
  readonly paths: LayoutPaths;
  readonly name: string;
  readonly readsAreLocal = true;
  readonly admitted = true;
  /** index.json as a snapshot() read it: every read of the index sees this one (save --all reads it once, not per pack). */
  readonly #snapshot: IndexFile | undefined;

  /** Blobs are written without an fsync each (a load's staging layout: staging.ts syncs them all before commit). */
  readonly #deferSync: boolean;

  private constructor(root: string, pinned?: IndexFile, deferSync = false) {
    this.paths = new LayoutPaths(root);
    this.name = root;
    this.#snapshot = pinned;
    this.#deferSync = deferSync;
  }

  /** Opens (creating if needed) the layout at `root`. */
  static async open(root: string, o: { deferSync?: boolean } = {}): Promise<Store> {
    const s = new Store(root, undefined, o.deferSync);
    await initLayout(s.paths);
    const fresh = await access(s.paths.index).then(
      () => false,
      () => true,
    );
    await ensureIndex(s.paths);
    // a store this version creates has no old pin names to rename (store/pin.ts)
    if (fresh) await markPinsMigrated(s.paths);
    return s;
  }

  async index(): Promise<IndexFile> {
    return this.#snapshot ?? readIndex(this.paths);
  }

  /** index.json for a look-up: parsed, or its bytes when only a few entries are needed (index-file.ts indexView). */
  async #view(): Promise<IndexFile | CanonicalIndex> {
    return this.#snapshot ?? indexView(this.paths);
  }

  /** index.json's bytes as they are now, for what is keyed by them (`tagged(bytes)` lists them); none for a snapshot. */
  async indexBytes(): Promise<Buffer | undefined> {
    return this.#snapshot ? undefined : readIndexBytes(this.paths);
  }

  /**
   * The store with index.json read now and kept for reads (tags, referrers) through the view's life: for one long
   * read (save), which also reads each small blob whole in one synchronous call.
   */
  async snapshot(): Promise<Store> {
    return new Store(this.name, await this.index());
  }

  async exists(d: Descriptor): Promise<boolean> {
    return hasBlob(this.paths, d);
  }

  async fetch(d: Descriptor, o: FetchOptions = {}): Promise<Readable> {
    const path = this.paths.blob(d.digest);
    if (this.#snapshot && d.size <= SMALL_BLOB_BYTES && fastPaths()) {
      // one long read of many blobs (save): a small one is read whole in one go, without a thread-pool round trip
      // per open, stat, read and close (small-blob.ts)
      const bytes = readSmallBlobSync(path, d.size);
      if (!bytes) throw missingBlob(d, this.name);
      return new BufferBody(d, `store ${this.name}`, bytes, o.sizeOnly !== true);
    }
    const fh = await openBlobFile(path);
    if (!fh) throw missingBlob(d, this.name);
    return new FileRangeBody(d, `store ${this.name}`, fh, 0, true, o.sizeOnly !== true);
  }

  /**
   * A small blob (up to SMALL_BLOB_BYTES) read whole in one synchronous call and verified in one hash call: for one
   * walk over thousands of them (save --all's bulk walk), with no stream or thread-pool round trip per blob.
   */
  readSmallVerified(d: Descriptor): Buffer {
    const bytes = readSmallBlobSync(this.paths.blob(d.digest), d.size);
    if (!bytes) throw missingBlob(d, this.name);
    BufferBody.assertWhole(bytes, d, `store ${this.name}`);
    return bytes;
  }

  /** Reads a small blob (manifest, config) whole, verified. */
  async fetchBytes(d: Descriptor, limit = MAX_MANIFEST_BYTES): Promise<Buffer> {
    return readAllBounded(await this.fetch(d), limit, `${d.digest} in ${this.name}`);
  }

  async push(d: Descriptor, body: Readable, o: IoOptions = {}): Promise<void> {
    if (!isGraphNodeType(d.mediaType)) {
      // a big blob is synced as it streams (file-sink's background datasync): deferred, its whole size would wait
      // for one fsync at commit; the per-blob fsyncs a deferred sync saves are what many small blobs cost
      await ingestBlob(this.paths, d, body, o, !(this.#deferSync && d.size < DEFER_SYNC_BELOW));
      return;
    }
    if (d.size > MAX_MANIFEST_BYTES) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `manifest ${d.digest} is ${d.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    const what = `manifest ${d.digest}`;
    const bytes = await readVerified(body, d, what);
    const node = parseGraphNode(bytes, d.mediaType, what);
    // written from the bytes in one call (checked again by one hash call), not streamed
    await ingestBlob(this.paths, d, new BufferBody(d, what, bytes), o, !this.#deferSync);
    const subject = subjectOf(node);
    if (subject) await this.#addReferrerEntry(d, subject, artifactTypeOf(node));
  }

  async #addReferrerEntry(d: Descriptor, subject: Descriptor, artifactType: string | undefined): Promise<void> {
    await updateIndex(this.paths, (idx) => {
      if (idx.manifests.some((m) => m.digest === d.digest && m.annotations?.[Annotation.subject] !== undefined))
        return { result: undefined };
      return {
        index: { ...idx, manifests: [...idx.manifests, referrerEntry(d, subject, artifactType)] },
        result: undefined,
      };
    });
  }

  /** Resolves a tag, `name@sha256:…` or a bare digest to the manifest's descriptor (a digest always means its content). */
  async resolve(ref: string): Promise<Descriptor> {
    const digest = await this.#pinned(ref);
    if (digest) {
      const idx = await this.#view();
      const hit =
        idx instanceof CanonicalIndex ? idx.withDigest(digest) : idx.manifests.find((m) => m.digest === digest);
      if (hit) return plainDescriptor(hit);
      const sniffed = await this.#sniff(digest);
      if (sniffed) return sniffed;
      throw notFound(ref, this.name);
    }
    return (await this.findTag(ref)).descriptor;
  }

  /** The digest `ref` pins; none for a ref.name another tool wrote that only looks like one (`foo@bar`). */
  async #pinned(ref: string): Promise<string | undefined> {
    try {
      return pinnedDigest(ref);
    } catch (e) {
      if (firstTagged(await this.#view(), ref)) return undefined;
      throw e;
    }
  }

  /** The entry a tag names, under the ref.name it is stored as (`plain` or `plain:latest`: pin.ts storeRefName). */
  async findTag(ref: string): Promise<TaggedEntry> {
    const idx = await this.#view();
    const name = storeRefName(ref, { exists: (n) => firstTagged(idx, n) !== undefined });
    const hit = firstTagged(idx, name);
    if (!hit) throw notFound(ref, this.name);
    return { ref: name, descriptor: plainDescriptor(hit) };
  }

  /** A manifest stored as a blob but not listed in index.json (a child of an index): read its mediaType. */
  async #sniff(digest: string): Promise<Descriptor | undefined> {
    const node = await sniffGraphNode(this.paths, digest);
    return node && isDigest(digest) ? { mediaType: node.mediaType, digest, size: node.bytes.byteLength } : undefined;
  }

  /** Tags `d` under a lease of its own, so gc cannot take the manifest between the check and the tag. */
  async tag(d: Descriptor, ref: string): Promise<void> {
    await withLease(this.paths, async (lease) => {
      await lease.hold([d]);
      await this.tagHeld(d, ref);
    });
  }

  /** Tags `d`, which the caller holds under a lease (lease.ts). */
  async tagHeld(d: Descriptor, ref: string): Promise<void> {
    if (!(await this.exists(d)))
      throw new ScrydonError('blob_missing', `cannot tag ${ref}: manifest ${d.digest} is not in the store`);
    await editIndex(this.paths, (ed) => {
      const name = storeRefName(ref, { digest: d.digest, exists: (n) => ed.tagged(n) !== undefined });
      assertTaggable(name, d.mediaType);
      ed.untag(name, true);
      ed.append({ ...plainDescriptor(d), annotations: { [Annotation.refName]: name } });
    });
  }

  /** Removes a tag; the content stays until gc. Returns the descriptor it pointed at. */
  async untag(ref: string): Promise<Descriptor> {
    return editIndex(this.paths, (ed) => {
      const name = storeRefName(ref, { exists: (n) => ed.tagged(n) !== undefined });
      const hit = ed.tagged(name);
      if (!hit) throw notFound(ref, this.name);
      ed.untag(name);
      return plainDescriptor(hit);
    });
  }

  /**
   * The names whose tag (the part after the last `:`) is `tag`, as cosign's legacy `sha256-<hex>.sig` and `.att`
   * tags are found: index.json this store wrote is searched as text (an inspect of a 10,000-pack store parses
   * none of it); another tool's is parsed once and mapped by tag, so a save of every pack looks each up in a map.
   */
  async refsWithTag(tag: string): Promise<string[]> {
    const view = await this.#view();
    if (view instanceof CanonicalIndex) return view.namesWithTag(tag).sort(byCodeUnits);
    return [...(derivedOf(view, 'byTagPart').get(tag) ?? [])];
  }

  async tags(): Promise<string[]> {
    return (await this.tagged()).map((t) => t.ref);
  }

  /** Every tag, sorted by name; of index.json as `bytes` (from indexBytes()) when given. */
  async tagged(bytes?: Buffer): Promise<TaggedEntry[]> {
    const view = bytes ? await viewOf(this.paths, bytes) : await this.index();
    if (view instanceof CanonicalIndex) return taggedOf((fn) => view.forEachEntry(fn));
    return [...derivedOf(view, 'tagged')];
  }

  async referrers(d: Descriptor): Promise<Descriptor[]> {
    const view = await this.#view();
    if (view instanceof CanonicalIndex && !view.someForeign())
      return dedupe(view.withSubject(d.digest).map(plainDescriptor));
    const idx = view instanceof CanonicalIndex ? await this.index() : view;
    if (!derivedOf(idx, 'hasForeign')) return [...(derivedOf(idx, 'bySubject').get(d.digest) ?? [])];
    const out = new Map<string, Descriptor>();
    for (const m of idx.manifests) {
      const subject = m.annotations?.[Annotation.subject];
      if (subject === d.digest) out.set(m.digest, plainDescriptor(m));
      else if (isForeignEntry(m)) {
        // an untagged entry written by another tool: open it to see whether it refers to d
        const node = parseGraphNode(await this.fetchBytes(m), m.mediaType, `${this.name}: ${m.digest}`);
        if (subjectOf(node)?.digest === d.digest) out.set(m.digest, plainDescriptor(m));
      }
    }
    return [...out.values()];
  }
}

/** What tagged() and referrers() derive from one parsed index.json (frozen and cached by text: index-file.ts). */
interface Derived {
  tagged: readonly TaggedEntry[];
  bySubject: ReadonlyMap<string, Descriptor[]>;
  /** Untagged entries without io.scrydon.subject (another tool's referrers?): referrers() must open them. */
  hasForeign: boolean;
  /** Names by their tag part (after the last `:`), each list in `tagged` order. */
  byTagPart: ReadonlyMap<string, string[]>;
}

const derived = new WeakMap<IndexFile, Partial<Derived>>();

/** One part of what is derived from `idx`, each made on first use (inspect's referrers() needs no sorted tag list). */
function derivedOf<K extends keyof Derived>(idx: IndexFile, part: K): Derived[K] {
  let d = derived.get(idx);
  if (!d) {
    d = {};
    derived.set(idx, d);
  }
  if (d[part] !== undefined) return d[part] as Derived[K];
  if (part === 'tagged') {
    d.tagged = taggedOf((fn) => idx.manifests.forEach((m) => fn(m)));
  } else if (part === 'byTagPart') {
    const byTagPart = new Map<string, string[]>();
    for (const { ref } of derivedOf(idx, 'tagged')) {
      const tag = ref.slice(ref.lastIndexOf(':') + 1);
      const list = byTagPart.get(tag);
      if (list) list.push(ref);
      else byTagPart.set(tag, [ref]);
    }
    d.byTagPart = byTagPart;
  } else {
    const bySubject = new Map<string, Descriptor[]>();
    let hasForeign = false;
    for (const m of idx.manifests) {
      const subject = m.annotations?.[Annotation.subject];
      if (subject !== undefined) {
        const list = bySubject.get(subject) ?? [];
        if (!list.some((x) => x.digest === m.digest)) list.push(plainDescriptor(m));
        bySubject.set(subject, list);
      } else if (isForeignEntry(m)) hasForeign = true;
    }
    d.bySubject = bySubject;
    d.hasForeign = hasForeign;
  }
  return d[part] as Derived[K];
}

/**
 * Every tag of the entries `each` visits, sorted by name: of a parsed index, or of canonical bytes with each entry
 * parsed on its own (CanonicalIndex.forEachEntry).
 */
function taggedOf(each: (fn: (m: Descriptor) => void) => void): TaggedEntry[] {
  const tagged: TaggedEntry[] = [];
  each((m) => {
    const ref = m.annotations?.[Annotation.refName];
    if (ref !== undefined) tagged.push({ ref, descriptor: plainDescriptor(m) });
  });
  return tagged.sort((a, b) => byCodeUnits(a.ref, b.ref));
}

/** The first entry whose ref.name is exactly `name`. */
function firstTagged(idx: IndexFile | CanonicalIndex, name: string): Descriptor | undefined {
  if (idx instanceof CanonicalIndex) return idx.tagged(name);
  return idx.manifests.find((m) => m.annotations?.[Annotation.refName] === name);
}

/** The first descriptor of each digest, in order. */
function dedupe(list: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return list.filter((x) => !seen.has(x.digest) && (seen.add(x.digest), true));
}

function missingBlob(d: Descriptor, where: string): ScrydonError {
  return new ScrydonError('blob_missing', `blob ${d.digest} is not in the store ${where}`, {
    hint: 'run scrydon check',
  });
}

function notFound(ref: string, where: string): ScrydonError {
  return new ScrydonError('not_found', `${ref} is not in the store ${where}`, {
    hint: 'list what the store holds with scrydon ls',
  });
}
