import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RootToCopy } from '../content/copy.js';
import { limitsWith, WalkBudget, type WalkLimits } from '../content/limits.js';
import type { ReadOnlyTarget, ReferrerLister } from '../content/target.js';
import { BufferBody, readVerified } from '../content/buffer-body.js';
import { FileRangeBody } from '../content/file-range-body.js';
import { fastPaths } from '../fast-paths.js';
import { ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, plainDescriptor, shareTypes, type Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { parseGraphNode, subjectOf, successors } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import { parseReference } from '../oci/reference.js';
import {
  assertOciLayout,
  EXCLUDED_INVENTORY_ANNOTATION,
  MAX_ARCHIVE_INDEX_BYTES,
  layoutEntries,
  parseArchiveIndex,
  refNameOf,
  subjectAnnotationOf,
  type ArchiveIndex,
  type LayoutEntries,
  type ReceiptEntry,
} from './archive-layout.js';
import { BlobTable } from './blob-table.js';
import { ReadWindows } from './read-window.js';
import type { TarEntry } from './tar-index.js';
import { indexTar } from './tar-index.js';

/** Entries up to this size are read through the read-ahead windows and handed on whole. */
const SMALL_ENTRY_BYTES = 64 * 1024;

/** What the reader keeps of a manifest it opened: its subject and its children, as little as names them. */
interface NodeLinks {
  subject: string | undefined;
  children: Descriptor[];
}

/**
 * A tar archive holding an OCI image layout, as a read-only Target. Opening it indexes the tar in one pass
 * over the headers and validates oci-layout and index.json; fetch() streams an entry's bytes by offset,
 * verified against the descriptor. Accepts scrydon's archives and skopeo's oci-archive tars. What it reads of
 * its manifests before a copy (roots, referrers, completeness) is held to the walk limits given to open().
 */
export class ArchiveReader implements ReadOnlyTarget, ReferrerLister {
  readonly name: string;
  readonly index: ArchiveIndex;
  readonly #fh: FileHandle;
  /** Small entries are read through read-ahead windows: a copy reads them back in about the order save wrote them. */
  readonly #windows: ReadWindows;
  readonly #blobs: BlobTable;
  readonly #receipts: LayoutEntries['receipts'];
  /** The subject of each manifest read so far (each is counted against the limits once; its children are not kept). */
  readonly #subjects = new Map<Digest, string | undefined>();
  readonly #budget: WalkBudget;
  /** index.json's entries by the subject they refer to (built once: a lookup per subject must not scan them all). */
  #bySubject: Promise<Map<string, Descriptor[]>> | undefined;

  private constructor(
    name: string,
    fh: FileHandle,
    size: number,
    entries: LayoutEntries,
    index: ArchiveIndex,
    limits: WalkLimits,
  ) {
    this.name = name;
    this.#fh = fh;
    this.#windows = new ReadWindows(
      fh,
      size,
      (at) =>
        new ScrydonError('archive_truncated', `${name} is truncated: it ends at byte ${at}, before an entry it lists`),
    );
    this.#blobs = new BlobTable(entries.blobs);
    this.#receipts = entries.receipts;
    this.index = index;
    this.#budget = new WalkBudget(limits, `reading ${name}`);
    for (const m of index.manifests) {
      m.digest = this.#blobs.key(m.digest); // one string per digest, shared with what is derived from the blobs
      shareTypes(m);
      this.#budget.know(m);
    }
  }

  static async open(path: string, o: { walkLimits?: Partial<WalkLimits> | undefined } = {}): Promise<ArchiveReader> {
    const what = `archive ${path}`;
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ScrydonError('archive_invalid', `${what} is not a regular file`);
      const entries = layoutEntries(await indexTar(fh, st.size, what), what);
      assertOciLayout(await readEntry(fh, entries.ociLayout, 4096, `${what}: oci-layout`), what);
      const index = parseArchiveIndex(
        await readEntry(fh, entries.index, MAX_ARCHIVE_INDEX_BYTES, `${what}: index.json`),
        what,
      );
      return new ArchiveReader(what, fh, st.size, entries, index, limitsWith(o.walkLimits));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }

  /** Whether the archive carries this blob (by digest and size). */
  has(d: Descriptor): boolean {
    return this.#blobs.size(d.digest) === d.size;
  }

  ownDigest(digest: Digest): Digest {
    return this.#blobs.key(digest);
  }

  async exists(d: Descriptor): Promise<boolean> {
    return this.has(d);
  }

  /** True when the archive was saved with --exclude-inventory: blobs it leaves out must already be in the store. */
  get excludesInventory(): boolean {
    return this.index.annotations[EXCLUDED_INVENTORY_ANNOTATION] !== undefined;
  }

  async fetch(d: Descriptor): Promise<Readable> {
    if (isGraphNodeType(d.mediaType) && d.size > MAX_MANIFEST_BYTES) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `${this.name}: manifest ${d.digest} is ${d.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    const size = this.#blobs.size(d.digest);
    if (size === undefined) throw new ScrydonError('blob_missing', `${this.name} does not contain blob ${d.digest}`);
    if (size !== d.size) {
      throw new ScrydonError(
        'size_mismatch',
        `${this.name}: blob ${d.digest} has ${size} bytes, its descriptor says ${d.size}`,
      );
    }
    const offset = this.#blobs.offset(d.digest);
    if (size <= SMALL_ENTRY_BYTES && fastPaths())
      return new BufferBody(d, this.name, await this.#windows.read(offset, size));
    return new FileRangeBody(d, this.name, this.#fh, offset, false);
  }

  /**
   * A manifest or index held in the archive: its subject and children (counted against the limits the first time it
   * is read; only its subject is kept, so a walk over thousands holds no children it is done with).
   */
  async node(d: Descriptor): Promise<NodeLinks> {
    if (!this.#subjects.has(d.digest)) this.#budget.read(d);
    const node = parseGraphNode(
      await readVerified(await this.fetch(d), d, this.name), // fetch() refuses one over the limit
      d.mediaType,
      `${this.name}: ${d.digest}`,
    );
    const children = successors(node);
    this.#budget.children(d, children);
    const subject = subjectOf(node)?.digest;
    this.#subjects.set(d.digest, subject);
    // each child named by the table's own digest string: what a walk keeps of it (a set of digests seen) adds none
    return { subject, children: children.map((c) => ({ ...plainDescriptor(c), digest: this.#blobs.key(c.digest) })) };
  }

  /**
   * The receipts files the archive carries beside its layout, each read on demand (whole, at most `limit` bytes), so
   * a caller holds one at a time. Each must be about a digest the archive lists in index.json or holds: a receipt of
   * anything else is refused.
   */
  receiptFiles(limit: number): Array<Omit<ReceiptEntry, 'entry'> & { name: string; read: () => Promise<Buffer> }> {
    const listed = new Set<string>(this.index.manifests.map((m) => m.digest));
    return this.#receipts.map(({ digest, kind, entry }) => {
      if (!listed.has(digest) && !this.#blobs.has(digest))
        throw new ScrydonError(
          'archive_invalid',
          `${this.name}: ${entry.name} holds receipts of ${digest}, which the archive does not hold`,
          { hint: 'the archive was edited after scrydon save wrote it; nothing was loaded' },
        );
      const read = () => readEntry(this.#fh, entry, limit, `${this.name}: ${entry.name}`);
      return { digest, kind, name: entry.name, read };
    });
  }

  async resolve(ref: string): Promise<Descriptor> {
    const r = parseReference(ref);
    const hit = this.index.manifests.find((m) => (r.digest ? m.digest === r.digest : refNameOf(m) === ref));
    if (!hit)
      throw new ScrydonError('not_found', `${ref} is not in ${this.name}`, {
        hint: 'list an archive with tar -xOf FILE index.json',
      });
    return plainDescriptor(hit);
  }

  /** Index entries that refer to `d`: scrydon marks them with io.scrydon.subject; other tools' untagged entries are opened. */
  async referrers(d: Descriptor): Promise<Descriptor[]> {
    this.#bySubject ??= (async () => {
      const by = new Map<string, Descriptor[]>();
      for (const m of this.index.manifests) {
        const subject = subjectAnnotationOf(m) ?? (await this.#untaggedReferrerSubject(m));
        if (subject === undefined) continue;
        const list = by.get(subject);
        if (list) list.push(plainDescriptor(m));
        else by.set(subject, [plainDescriptor(m)]);
      }
      return by;
    })();
    return [...((await this.#bySubject).get(d.digest) ?? [])];
  }

  async #untaggedReferrerSubject(m: Descriptor): Promise<string | undefined> {
    if (refNameOf(m) !== undefined || subjectAnnotationOf(m) !== undefined || !this.has(m)) return undefined;
    return this.#subjects.has(m.digest) ? this.#subjects.get(m.digest) : (await this.node(m)).subject;
  }

  /**
   * The graphs to load: each tagged entry with its ref names (grouped by digest), and untagged entries that
   * are not referrers. Referrers come along with their subjects.
   */
  async roots(): Promise<RootToCopy[]> {
    const byDigest = new Map<string, { root: Descriptor; tags: string[] }>();
    for (const m of this.index.manifests) {
      const ref = refNameOf(m);
      if (
        ref === undefined &&
        (subjectAnnotationOf(m) !== undefined || (await this.#untaggedReferrerSubject(m)) !== undefined)
      )
        continue;
      const r = byDigest.get(m.digest);
      // a list of one made as one (a list pushed onto from empty keeps room for 16: 10,000 roots, 1.5 MB)
      if (!r) byDigest.set(m.digest, { root: plainDescriptor(m), tags: ref === undefined ? [] : [ref] });
      else if (ref !== undefined && !r.tags.includes(ref)) r.tags.push(ref);
    }
    return [...byDigest.values()];
  }
}

async function readEntry(fh: FileHandle, e: TarEntry, limit: number, what: string): Promise<Buffer> {
  if (e.size > limit)
    throw new ScrydonError('size_limit_exceeded', `${what} is ${e.size} bytes, over the ${limit}-byte limit`);
  const buf = Buffer.alloc(e.size);
  const { bytesRead } = await fh.read(buf, 0, e.size, e.offset);
  if (bytesRead !== e.size) throw new ScrydonError('archive_truncated', `${what} is cut short`);
  return buf;
}
