import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isGraphNodeType } from '../oci/media-types.js';

/**
 * How much a source (a registry, an archive, a layout directory) can make one operation walk and hold. Every
 * bound has a default sized for real artifacts many times over, and an environment variable that raises it
 * (read in cmd/; catalog-spec/limits.md lists them). Content the store already admitted is walked without them.
 */
export interface WalkLimits {
  /** Manifests and indexes one copy walks, referrers included (each digest once). */
  manifests: number;
  /** Bytes of the manifests and indexes one copy reads. */
  manifestBytes: number;
  /** Configs and layers one copy walks (each digest once). */
  blobs: number;
  /** Descriptors in one index (its manifests) or manifest (its config and layers). */
  fanOut: number;
  /** Referrers listed for one subject. */
  referrers: number;
  /** Referrers of referrers: a root's signature is at depth 1, a signature of that signature at 2. */
  referrerDepth: number;
  /** Tags one tag listing returns. */
  tags: number;
  /** Pages one listing (tags, referrers) follows. */
  listPages: number;
}

const DEFAULT_LIMITS: Readonly<WalkLimits> = Object.freeze({
  manifests: 10_000,
  manifestBytes: 32 * 1024 * 1024,
  blobs: 50_000,
  fanOut: 1_000,
  referrers: 1_000,
  referrerDepth: 8,
  tags: 100_000,
  listPages: 1_000,
});

/** The environment variable that raises each limit (the CLI reads them: cmd/walk-limits.ts). */
export const LIMIT_VARIABLES: Readonly<Record<keyof WalkLimits, string>> = Object.freeze({
  manifests: 'SCRYDON_MAX_MANIFESTS',
  manifestBytes: 'SCRYDON_MAX_MANIFEST_BYTES',
  blobs: 'SCRYDON_MAX_BLOBS',
  fanOut: 'SCRYDON_MAX_FANOUT',
  referrers: 'SCRYDON_MAX_REFERRERS',
  referrerDepth: 'SCRYDON_MAX_REFERRER_DEPTH',
  tags: 'SCRYDON_MAX_TAGS',
  listPages: 'SCRYDON_MAX_LIST_PAGES',
});

/** What each limit counts, for messages. */
const NOUNS: Readonly<Record<keyof WalkLimits, string>> = {
  manifests: 'manifests walked',
  manifestBytes: 'bytes of manifests read',
  blobs: 'blobs walked',
  fanOut: 'descriptors in one manifest or index',
  referrers: 'referrers of one subject',
  referrerDepth: 'levels of referrers of referrers',
  tags: 'tags listed',
  listPages: 'pages of one listing',
};

/** The defaults with `given` over them. */
export function limitsWith(given: Partial<WalkLimits> = {}): WalkLimits {
  return { ...DEFAULT_LIMITS, ...given };
}

/** `size_limit_exceeded` for going over `limit` while doing `what`: names the limit and the variable that raises it. */
export function overLimit(limit: keyof WalkLimits, value: number, what: string): ScrydonError {
  const variable = LIMIT_VARIABLES[limit];
  return new ScrydonError(
    'size_limit_exceeded',
    `${what}: more than ${value} ${NOUNS[limit]} (limit ${variable}=${value})`,
    {
      hint: `the source may be hostile; if it is trusted, raise the limit: ${variable}=${value * 10} scrydon …`,
      details: { limit: variable, value: String(value) },
    },
  );
}

/**
 * One walk's count against the limits (a copy, an archive's completeness check, a content check): every
 * descriptor counted once, the first time it is known; `undefined` limits count nothing (the store's own content).
 */
export class WalkBudget {
  readonly limits: WalkLimits | undefined;
  readonly #where: string;
  readonly #known = new Set<string>();
  readonly #count = { manifests: 0, blobs: 0, manifestBytes: 0 };

  /** `where` starts every message: `copying from registry/repo`. */
  constructor(limits: WalkLimits | undefined, where: string) {
    this.limits = limits;
    this.#where = where;
  }

  #add(limit: keyof WalkBudget['counts'], n: number): void {
    if (!this.limits) return;
    this.#count[limit] += n;
    if (this.#count[limit] > this.limits[limit]) throw overLimit(limit, this.limits[limit], this.#where);
  }

  get counts(): Readonly<{ manifests: number; blobs: number; manifestBytes: number }> {
    return this.#count;
  }

  /** Counts `d` (a manifest or a blob) the first time it is seen (nothing is kept without limits to count against). */
  know(d: Descriptor): void {
    if (!this.limits || this.#known.has(d.digest)) return;
    this.#known.add(d.digest);
    this.#add(isGraphNodeType(d.mediaType) ? 'manifests' : 'blobs', 1);
  }

  /** Counts the bytes of manifest `d`, about to be read. */
  read(d: Descriptor): void {
    this.#add('manifestBytes', d.size);
  }

  /** Holds manifest `d`'s children to the fan-out limit and counts each. */
  children(d: Descriptor, children: readonly Descriptor[]): void {
    if (this.limits && children.length > this.limits.fanOut)
      throw overLimit('fanOut', this.limits.fanOut, `${this.#where}: ${d.digest} lists ${children.length} descriptors`);
    for (const c of children) this.know(c);
  }

  /** Holds `subject`'s referrers, found at referrer depth `depth + 1`, to the referrer limits, and counts each. */
  referrers(subject: Descriptor, refs: readonly Descriptor[], depth: number): void {
    if (!this.limits || refs.length === 0) return;
    if (refs.length > this.limits.referrers)
      throw overLimit('referrers', this.limits.referrers, `${this.#where}: referrers of ${subject.digest}`);
    if (depth >= this.limits.referrerDepth)
      throw overLimit('referrerDepth', this.limits.referrerDepth, `${this.#where}: referrers of ${subject.digest}`);
    for (const r of refs) this.know(r);
  }
}
