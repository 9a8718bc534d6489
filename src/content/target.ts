import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import type { WalkLimits } from './limits.js';

/** Every I/O call takes one; it stands in for Go's context. */
export interface IoOptions {
  signal?: AbortSignal | undefined;
  /**
   * fetch(): the bytes go to a destination that checks their digest itself (a registry, as the distribution spec
   * requires of every blob upload), so a local source may check only their size and skip hashing them.
   */
  sizeOnly?: boolean;
  /** Bounds on what a source may make this operation walk and list (limits.ts); the defaults where absent. */
  walkLimits?: Partial<WalkLimits> | undefined;
}

/** Bytes of a descriptor, verified against digest and size as they stream: a mismatch is the stream's error. */
interface Fetcher {
  fetch(d: Descriptor, o?: IoOptions): Promise<Readable>;
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
   * fetch() reads local files (the store): cheap enough that the copy reads a manifest while it asks the
   * destination whether it has it, instead of after. A remote source's manifest is fetched only when needed.
   */
  readonly localReads?: boolean;
  /**
   * Content this machine admitted already, under the walk limits of the operation that brought it in (the
   * store): a copy from it is not held to them again (`save --all` of a store larger than one pull may be).
   */
  readonly admitted?: boolean;
}
export interface Target extends ReadOnlyTarget, Pusher, Tagger {
  /** How many pushes this target takes at once (an archive writer appends one entry at a time: 1). */
  readonly pushConcurrency?: number;
  /** The destination refuses a pushed blob whose bytes do not match its digest (a registry), so the copy need not hash them. */
  readonly checksDigests?: boolean;
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
