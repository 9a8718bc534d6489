import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { WalkLimits } from './limits.js';

/** Every I/O call takes one; it stands in for Go's context. */
export interface IoOptions {
  signal?: AbortSignal | undefined;
  /** Bounds on what a source may make this operation walk and list (limits.ts); the defaults where absent. */
  walkLimits?: Partial<WalkLimits> | undefined;
}

/** What fetch() takes besides the signal. */
export interface FetchOptions extends IoOptions {
  /**
   * Check only the bytes' size, not their digest: the caller hands them to a destination that verifies digests
   * itself (`Target.verifiesDigests`), so a source may skip hashing them. The copy sets it; nothing else should.
   */
  sizeOnly?: boolean;
}

/** Bytes of a descriptor, verified against digest and size as they stream: a mismatch is the stream's error. */
interface Fetcher {
  fetch(d: Descriptor, o?: FetchOptions): Promise<Readable>;
}
export interface ReadOnlyStorage extends Fetcher {
  exists(d: Descriptor, o?: IoOptions): Promise<boolean>;
}
/** The write is visible only when complete and verified. */
export interface Pusher {
  push(d: Descriptor, body: Readable, o?: IoOptions): Promise<void>;
}
interface Resolver {
  resolve(ref: string, o?: IoOptions): Promise<Descriptor>;
}
export interface Tagger {
  tag(d: Descriptor, ref: string, o?: IoOptions): Promise<void>;
}
/** Manifests whose `subject` is `d` (signatures, attestations). */
export interface ReferrerLister {
  referrers(d: Descriptor, o?: IoOptions): Promise<Descriptor[]>;
}
export interface TagLister {
  tags(o?: IoOptions): Promise<string[]>;
}
/** Destinations that can make a blob appear by mounting it from another repository of the same registry. */
export interface Mounter {
  /** True when `d` is now in the destination without its bytes being sent; false to copy it instead. */
  mount(d: Descriptor, from: string, o?: IoOptions): Promise<boolean>;
}
/**
 * Destinations that store a manifest and tag it in one step (a registry's PUT by tag, as oras and crane push):
 * the copy uses it for a lone root that nothing follows, one request fewer than a push by digest and a tag.
 */
export interface TaggingPusher {
  pushTagged(d: Descriptor, bytes: Buffer, ref: string, o?: IoOptions): Promise<void>;
}
/** Destinations that must be finalised once everything is pushed and tagged (an archive writer). */
export interface Committer {
  commit(o?: IoOptions): Promise<void>;
}

export interface ReadOnlyTarget extends ReadOnlyStorage, Resolver {
  /** A short human name for messages: a path, `registry/repo`, an archive file. */
  readonly name: string;
  /**
   * fetch() reads this machine's own files (the store), not the network: a read costs no round trip, so the copy
   * reads a manifest while it asks the destination whether it has it (a remote source's only once it must), and
   * bytes that fail verification are damage here (a pack reader hints `scrydon check`).
   */
  readonly readsAreLocal?: boolean;
  /**
   * Content this machine admitted already, under the walk limits of the operation that brought it in (the
   * store): a copy from it is not held to them again (`save --all` of a store larger than one pull may be).
   */
  readonly admitted?: boolean;
  /**
   * The source's own string for a digest it holds (an archive's blob table), else `digest`: a walk over thousands
   * of blobs then keeps one string per digest, not one more per manifest that lists it.
   */
  ownDigest?(digest: Digest): Digest;
}
export interface Target extends ReadOnlyTarget, Pusher, Tagger {
  /**
   * The most pushes this target takes at once (an archive writer appends one entry at a time: 1); a copy into it
   * runs no more transfers than that. Absent: no limit of its own.
   */
  readonly pushLimit?: number;
  /**
   * push() refuses a blob whose bytes do not match its digest (a registry: the distribution spec makes it hash
   * every upload). The copy then fetches blobs for it with `sizeOnly` and leaves the digest check to it.
   */
  readonly verifiesDigests?: boolean;
}

export function hasReferrers<T extends object>(t: T): t is T & ReferrerLister {
  return typeof (t as Partial<ReferrerLister>).referrers === 'function';
}
export function isTagLister<T extends object>(t: T): t is T & TagLister {
  return typeof (t as Partial<TagLister>).tags === 'function';
}
export function isCommitter<T extends object>(t: T): t is T & Committer {
  return typeof (t as Partial<Committer>).commit === 'function';
}
export function isMounter<T extends object>(t: T): t is T & Mounter {
  return typeof (t as Partial<Mounter>).mount === 'function';
}
export function isTaggingPusher<T extends object>(t: T): t is T & TaggingPusher {
  return typeof (t as Partial<TaggingPusher>).pushTagged === 'function';
}
