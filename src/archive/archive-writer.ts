import type { Readable } from 'node:stream';
import type { Committer, Target } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { isChunkPusher } from '../fs/file-sink.js';
import { MAX_MANIFEST_BYTES, plainDescriptor, referrerEntry, type Descriptor } from '../oci/descriptor.js';
import { artifactTypeOf, parseGraphNode, subjectOf, type GraphNode } from '../oci/manifest.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import {
  blobEntryName,
  BLOB_DIR,
  encodeArchiveIndex,
  EXCLUDED_INVENTORY_ANNOTATION,
  OCI_LAYOUT_JSON,
  receiptEntryName,
  RECEIPTS_DIR,
  type ReceiptEntry,
} from './archive-layout.js';
import { gathering, type ArchiveSink, type GatheringSink } from './archive-sink.js';
import { BLOCK, encodeHeader, encodeHeaderInto, padded } from './tar-format.js';

const ZEROS = Buffer.alloc(BLOCK);
/** An entry this small (header, bytes, padding) is written in place into the sink's gathering buffer. */
const IN_PLACE = 64 * 1024;

interface ArchiveWriterOptions {
  /** Blobs the receiving side already has (an inventory): left out of the archive, reported as existing. */
  exclude?: ReadonlySet<string>;
  /** Annotations of the archive's index.json. */
  annotations?: Readonly<Record<string, string>>;
  /**
   * The receipts files to carry beside the layout, asked for at commit: `holds` says which digests the archive
   * lists or holds (a receipt of anything else would be refused by load).
   */
  receipts?: (
    holds: (digest: string) => boolean,
  ) => AsyncIterable<{ digest: string; kind: ReceiptEntry['kind']; bytes: Buffer }>;
}

/** Writes a whole entry (header, bytes, zero padding) into `at`, which is exactly its size. */
function fillEntry(at: Buffer, name: string, bytes: Buffer): void {
  encodeHeaderInto(at, 0, name, bytes.byteLength, 'file');
  bytes.copy(at, BLOCK);
  at.fill(0, BLOCK + bytes.byteLength);
}

/**
 * A tar archive being written, as a Target: each push appends one `blobs/sha256/<hex>` entry of known size
 * (so it streams to a pipe), tags are remembered, and commit() appends the receipts files it is given
 * (`receipts/`), oci-layout and index.json (tags plus referrer entries, so signatures travel) and the end-of-archive
 * marker. One push at a time.
 */
export class ArchiveWriter implements Target, Committer {
  readonly name: string;
  readonly pushLimit = 1;
  readonly #sink: GatheringSink;
  readonly #exclude: ReadonlySet<string>;
  readonly #annotations: Readonly<Record<string, string>>;
  readonly #receipts: ArchiveWriterOptions['receipts'];
  readonly #written = new Set<string>();
  readonly #tags = new Map<string, Descriptor>();
  readonly #untagged = new Map<string, Descriptor>();
  readonly #referrers = new Map<string, Descriptor>();
  #started = false;
  #state: 'open' | 'failed' | 'committed' = 'open';

  constructor(sink: ArchiveSink, o: ArchiveWriterOptions = {}) {
    this.#sink = gathering(sink);
    this.name = `archive ${sink.name}`;
    this.#exclude = o.exclude ?? new Set();
    this.#annotations = o.annotations ?? {};
    this.#receipts = o.receipts;
  }

  async exists(d: Descriptor): Promise<boolean> {
    return this.holds(d.digest);
  }

  /** exists(), synchronously: written already, or left out (the far side has it). */
  holds(digest: string): boolean {
    return this.#written.has(digest) || this.#exclude.has(digest);
  }

  async fetch(d: Descriptor): Promise<Readable> {
    throw new ScrydonError('not_found', `${this.name} is write-only; cannot read ${d.digest}`);
  }

  async resolve(ref: string): Promise<Descriptor> {
    const d = this.#tags.get(ref);
    if (!d) throw new ScrydonError('not_found', `${ref} is not in ${this.name}`);
    return d;
  }

  async push(d: Descriptor, body: Readable): Promise<void> {
    this.#assertOpen();
    if (this.#written.has(d.digest)) {
      body.destroy();
      return;
    }
    try {
      if (!this.#started) await this.#begin();
      if (isGraphNodeType(d.mediaType)) {
        const bytes = await readAllBounded(verified(body, d, this.name), MAX_MANIFEST_BYTES, `manifest ${d.digest}`);
        await this.#whole(d, bytes, parseGraphNode(bytes, d.mediaType, `manifest ${d.digest}`));
      } else {
        await this.#sink.write(encodeHeader(blobEntryName(d.digest), d.size, 'file'));
        const v = verified(body, d, this.name);
        const write = (chunk: Buffer) => this.#sink.write(chunk);
        if (isChunkPusher(v)) await v.copyTo(write);
        else for await (const chunk of v) await write(chunk as Buffer);
        await this.#pad(d.size);
      }
      this.#written.add(d.digest);
    } catch (e) {
      this.#state = 'failed'; // a half-written entry: the archive cannot be finished
      throw e;
    }
  }

  /**
   * Appends a blob the caller read whole and verified against `d` (save --all's bulk walk); `node` is its parse when
   * `d` is a manifest or index. Once per digest, as push().
   */
  async pushVerified(d: Descriptor, bytes: Buffer, node?: GraphNode): Promise<void> {
    this.#assertOpen();
    if (this.#written.has(d.digest)) return;
    try {
      if (!this.#started) await this.#begin();
      await this.#whole(d, bytes, node);
      this.#written.add(d.digest);
    } catch (e) {
      this.#state = 'failed';
      throw e;
    }
  }

  /**
   * pushVerified() without a promise when it can be: a small entry is written in place into the sink's gathering
   * buffer at once when it fits there without a flush (undefined back); else pushVerified()'s promise.
   */
  pushVerifiedNow(d: Descriptor, bytes: Buffer, node?: GraphNode): Promise<void> | undefined {
    this.#assertOpen();
    if (this.#written.has(d.digest)) return undefined;
    const n = BLOCK + padded(bytes.byteLength);
    const at = this.#started && n <= IN_PLACE ? this.#sink.reserveNow(n) : undefined;
    if (!at) return this.pushVerified(d, bytes, node);
    fillEntry(at, blobEntryName(d.digest), bytes);
    this.#noteReferrer(d, node);
    this.#written.add(d.digest);
    return undefined;
  }

  async #whole(d: Descriptor, bytes: Buffer, node: GraphNode | undefined): Promise<void> {
    await this.#entry(blobEntryName(d.digest), bytes);
    this.#noteReferrer(d, node);
  }

  /** A manifest with a subject is listed in index.json as a referrer (so signatures travel). */
  #noteReferrer(d: Descriptor, node: GraphNode | undefined): void {
    const subject = node && subjectOf(node);
    if (node && subject) this.#referrers.set(d.digest, referrerEntry(d, subject, artifactTypeOf(node)));
  }

  async tag(d: Descriptor, ref: string): Promise<void> {
    this.#assertOpen();
    if (!(await this.exists(d)))
      throw new ScrydonError('blob_missing', `cannot tag ${ref}: manifest ${d.digest} is not in ${this.name}`);
    this.#tags.set(ref, plainDescriptor(d));
  }

  /** Lists a root in index.json without a name (saved by digest). */
  addUntaggedRoot(d: Descriptor): void {
    this.#untagged.set(d.digest, plainDescriptor(d));
  }

  async commit(): Promise<void> {
    this.#assertOpen();
    try {
      if (!this.#started) await this.#begin();
      const manifests: Descriptor[] = [];
      for (const [ref, d] of this.#tags) manifests.push({ ...d, annotations: { [Annotation.refName]: ref } });
      const tagged = new Set([...this.#tags.values()].map((t) => t.digest));
      for (const d of this.#untagged.values()) if (!tagged.has(d.digest)) manifests.push(d);
      manifests.push(...this.#referrers.values());
      const listed = new Set<string>(manifests.map((m) => m.digest));
      let dir = false;
      for await (const r of this.#receipts?.((d) => listed.has(d) || this.#written.has(d)) ?? []) {
        if (!dir) await this.#sink.write(encodeHeader(`${RECEIPTS_DIR}/`, 0, 'directory'));
        dir = true;
        await this.#entry(receiptEntryName(r.digest, r.kind), r.bytes);
      }
      await this.#entry('oci-layout', Buffer.from(OCI_LAYOUT_JSON));
      const annotations: Record<string, string> = {
        ...this.#annotations,
        ...(this.#exclude.size > 0 ? { [EXCLUDED_INVENTORY_ANNOTATION]: 'true' } : {}),
      };
      await this.#entry('index.json', encodeArchiveIndex(manifests, annotations));
      await this.#sink.write(Buffer.alloc(2 * BLOCK));
      await this.#sink.finish();
      this.#state = 'committed';
    } catch (e) {
      this.#state = 'failed';
      throw e;
    }
  }

  /** Gives up: removes the partial file (a stream cannot be taken back). Safe to call after any failure. */
  async abort(): Promise<void> {
    if (this.#state === 'committed') return;
    this.#state = 'failed';
    await this.#sink.abort();
  }

  async #begin(): Promise<void> {
    this.#started = true;
    await this.#sink.write(
      Buffer.concat([encodeHeader('blobs/', 0, 'directory'), encodeHeader(`${BLOB_DIR}/`, 0, 'directory')]),
    );
  }

  async #entry(name: string, bytes: Buffer): Promise<void> {
    const n = BLOCK + padded(bytes.byteLength);
    if (n <= IN_PLACE) {
      fillEntry(await this.#sink.reserve(n), name, bytes);
      return;
    }
    await this.#sink.write(encodeHeader(name, bytes.byteLength, 'file'));
    await this.#sink.write(bytes);
    await this.#pad(bytes.byteLength);
  }

  async #pad(size: number): Promise<void> {
    const n = padded(size) - size;
    if (n > 0) await this.#sink.write(ZEROS.subarray(0, n)); // the sink copies it (gathering)
  }

  #assertOpen(): void {
    if (this.#state !== 'open')
      throw new ScrydonError(
        'internal',
        `${this.name} is ${this.#state === 'failed' ? 'broken by an earlier failure' : 'already finished'}`,
      );
  }
}
