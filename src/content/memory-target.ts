import { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { artifactTypeOf, parseGraphNode, subjectOf } from '../oci/manifest.js';
import { isGraphNodeType } from '../oci/media-types.js';
import type { FetchOptions, IoOptions, ReferrerLister, TagLister, Target } from './target.js';
import { readAllBounded, verified, VerifyStream } from './verify-stream.js';

/** Bytes held in memory as a VerifyStream that starts moving them when first read (as a store file's body does). */
class MemoryBody extends VerifyStream {
  #bytes: Buffer | undefined;

  constructor(d: Descriptor, what: string, bytes: Buffer, hashes: boolean) {
    super(d, what, undefined, hashes);
    this.#bytes = bytes;
  }

  override _read(n: number): void {
    const bytes = this.#bytes;
    if (bytes) {
      this.#bytes = undefined;
      Readable.from([bytes]).pipe(this);
    }
    super._read(n);
  }
}

/**
 * One call, in the order calls were made: the operation (`pushed`: a push that completed, its content now
 * visible) and what it named (a digest, or the reference of resolve and tag).
 */
interface MemoryCall {
  op: string;
  digest?: string;
  ref?: string;
}

export interface MemoryTargetOptions {
  name?: string;
  /** The Target flags (target.ts), for a memory target standing in for a store, an archive writer or a registry. */
  readsAreLocal?: boolean;
  pushLimit?: number;
  verifiesDigests?: boolean;
}

/**
 * A Target held in memory (oras-go's `memory.Store`): content by digest, tags, and referrers found from the
 * `subject` of pushed manifests. A push is verified against its descriptor and becomes visible only once
 * complete; fetch() returns a VerifyStream, so content damaged in memory fails at its end. Every call is
 * counted and logged, so a test can see what a copy asked of a Target, and in which order.
 */
export class MemoryTarget implements Target, ReferrerLister, TagLister {
  readonly name: string;
  readonly readsAreLocal?: boolean;
  readonly pushLimit?: number;
  readonly verifiesDigests?: boolean;
  /** Content by digest (tests may damage it in place to check verification at the end of a read). */
  protected readonly content = new Map<string, { descriptor: Descriptor; bytes: Buffer }>();
  readonly #tags = new Map<string, Descriptor>();
  /** Referrers by their subject's digest, by their own digest. */
  readonly #referrers = new Map<string, Map<string, Descriptor>>();
  /** Every call in order. */
  readonly log: MemoryCall[] = [];

  constructor(o: MemoryTargetOptions = {}) {
    this.name = o.name ?? 'memory';
    if (o.readsAreLocal !== undefined) this.readsAreLocal = o.readsAreLocal;
    if (o.pushLimit !== undefined) this.pushLimit = o.pushLimit;
    if (o.verifiesDigests !== undefined) this.verifiesDigests = o.verifiesDigests;
  }

  /** Logs one call (subclasses with more capabilities log theirs too). */
  protected record(op: string, what: { digest?: string; ref?: string } = {}): void {
    this.log.push({ op, ...what });
  }

  /** The calls of `op`, in order, as what they named. */
  calls(op: string): string[] {
    return this.log.filter((c) => c.op === op).map((c) => c.digest ?? c.ref ?? '');
  }

  /** How many calls of `op` were made. */
  count(op: string): number {
    return this.log.filter((c) => c.op === op).length;
  }

  async exists(d: Descriptor, o: IoOptions = {}): Promise<boolean> {
    this.record('exists', { digest: d.digest });
    o.signal?.throwIfAborted();
    return this.content.get(d.digest)?.descriptor.size === d.size;
  }

  async fetch(d: Descriptor, o: FetchOptions = {}): Promise<Readable> {
    this.record('fetch', { digest: d.digest });
    o.signal?.throwIfAborted();
    const hit = this.content.get(d.digest);
    if (!hit) throw new ScrydonError('blob_missing', `${this.name} does not hold ${d.digest}`);
    if (hit.descriptor.size !== d.size)
      throw new ScrydonError(
        'size_mismatch',
        `${this.name}: ${d.digest} has ${hit.descriptor.size} bytes, its descriptor says ${d.size}`,
      );
    return new MemoryBody(d, this.name, hit.bytes, o.sizeOnly !== true);
  }

  async push(d: Descriptor, body: Readable, o: IoOptions = {}): Promise<void> {
    this.record('push', { digest: d.digest });
    const node = isGraphNodeType(d.mediaType);
    if (node && d.size > MAX_MANIFEST_BYTES) {
      body.destroy();
      throw new ScrydonError(
        'size_limit_exceeded',
        `manifest ${d.digest} is ${d.size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      );
    }
    const onAbort = (): void => void body.destroy(o.signal?.reason as Error | undefined);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let bytes: Buffer;
    try {
      o.signal?.throwIfAborted();
      bytes = await readAllBounded(
        verified(body, d, `${this.name}: ${d.digest}`),
        node ? MAX_MANIFEST_BYTES : Number.MAX_SAFE_INTEGER,
        `${d.digest}`,
      );
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    o.signal?.throwIfAborted();
    if (node) {
      const parsed = parseGraphNode(bytes, d.mediaType, `${this.name}: ${d.digest}`);
      const subject = subjectOf(parsed);
      if (subject) {
        const artifactType = artifactTypeOf(parsed);
        const of = this.#referrers.get(subject.digest) ?? new Map<string, Descriptor>();
        of.set(d.digest, { ...plainDescriptor(d), ...(artifactType === undefined ? {} : { artifactType }) });
        this.#referrers.set(subject.digest, of);
      }
    }
    if (!this.content.has(d.digest)) this.content.set(d.digest, { descriptor: plainDescriptor(d), bytes });
    this.record('pushed', { digest: d.digest });
  }

  async resolve(ref: string, o: IoOptions = {}): Promise<Descriptor> {
    this.record('resolve', { ref });
    o.signal?.throwIfAborted();
    const hit = isDigest(ref) ? this.content.get(ref)?.descriptor : this.#tags.get(ref);
    if (!hit || !isGraphNodeType(hit.mediaType)) throw new ScrydonError('not_found', `${ref} is not in ${this.name}`);
    return hit;
  }

  async tag(d: Descriptor, ref: string, o: IoOptions = {}): Promise<void> {
    this.record('tag', { ref });
    o.signal?.throwIfAborted();
    if (!this.content.has(d.digest))
      throw new ScrydonError('blob_missing', `cannot tag ${ref}: manifest ${d.digest} is not in ${this.name}`);
    this.#tags.set(ref, plainDescriptor(d));
  }

  async referrers(d: Descriptor, o: IoOptions = {}): Promise<Descriptor[]> {
    this.record('referrers', { digest: d.digest });
    o.signal?.throwIfAborted();
    return [...(this.#referrers.get(d.digest)?.values() ?? [])];
  }

  async tags(o: IoOptions = {}): Promise<string[]> {
    this.record('tags');
    o.signal?.throwIfAborted();
    return [...this.#tags.keys()].sort();
  }
}
