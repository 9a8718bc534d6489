import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import type { CopyRun } from './copy-run.js';
import type { RootToCopy } from './copy-types.js';
import type { WalkHooks } from './copy-walk.js';
import {
  isMounter,
  isTaggingPusher,
  type IoOptions,
  type ReadOnlyTarget,
  type Target,
  type TaggingPusher,
} from './target.js';
import { verified } from './verify-stream.js';

/**
 * Early local reads: a source whose reads are local (the store) has each manifest read while the destination
 * answers whether it has it, not after (one wait less per level). A remote source's is read only when needed.
 */
export function readEarly(src: ReadOnlyTarget): WalkHooks['readEarly'] {
  return src.readsAreLocal === true ? (_d, read) => read() : () => undefined;
}

/**
 * Mount: with a repository to mount from, each blob is first offered to a Mounter destination (a registry), which
 * may make it present without its bytes being sent. Manifests never are.
 */
export function mountFrom(
  dst: Target,
  from: string | ((d: Descriptor) => string | undefined) | undefined,
  io: IoOptions,
): WalkHooks['mount'] {
  if (from === undefined || !isMounter(dst)) return async () => false;
  if (typeof from === 'string') return (d) => dst.mount(d, from, io);
  return async (d) => {
    const repository = from(d);
    return repository === undefined ? false : dst.mount(d, repository, io);
  };
}

/**
 * Size-only fetch: toward a destination that verifies digests itself (a registry) a blob is fetched with only
 * its size checked here, and a damaged one is refused by the destination; toward any other, hashed here.
 */
export function blobFetch({ src, dst, io, onEvent }: CopyRun): WalkHooks['fetchBlob'] {
  const sizeOnly = dst.verifiesDigests === true;
  const o = sizeOnly ? { ...io, sizeOnly } : io;
  return async (d: Descriptor): Promise<Readable> => {
    const onBytes = onEvent ? (n: number) => onEvent({ type: 'progress', descriptor: d, bytes: n }) : undefined;
    return verified(await src.fetch(d, o), d, src.name, onBytes, sizeOnly);
  };
}

/**
 * Lone-root tagging: a copy of one tagged root that nothing follows, into a TaggingPusher (a registry), keeps the
 * root's bytes and stores them with the first tag in one step at tagging time (still last, as oras and crane
 * push); its other tags, and every other root's, are plain tags.
 */
export class LoneRootTagging {
  readonly #dst: Target;
  readonly #tagger: TaggingPusher | undefined;
  readonly #root: string | undefined;
  readonly #nothingFollows: (digest: string) => boolean;
  #bytes: Buffer | undefined;

  /** `nothingFollows`: whether a graph node is known to have no referrers or companions to copy after it. */
  constructor(dst: Target, roots: readonly RootToCopy[], nothingFollows: (digest: string) => boolean) {
    this.#dst = dst;
    this.#tagger = isTaggingPusher(dst) ? dst : undefined;
    const [only] = roots;
    this.#root = roots.length === 1 && only && only.tags.length > 0 && this.#tagger ? only.root.digest : undefined;
    this.#nothingFollows = nothingFollows;
  }

  /** True when manifest `d` is the lone root, nothing follows it, and its bytes are kept for tagging time. */
  keep(d: Descriptor, bytes: Buffer): boolean {
    if (d.digest !== this.#root || !this.#nothingFollows(d.digest)) return false;
    this.#bytes = bytes;
    return true;
  }

  /** Tags `root` with `ref` in the destination, storing the kept root with its first tag. */
  async tag(root: Descriptor, ref: string, io: IoOptions): Promise<void> {
    const bytes = root.digest === this.#root ? this.#bytes : undefined;
    if (bytes && this.#tagger) {
      this.#bytes = undefined; // stored with the first tag; the others are plain tags
      await this.#tagger.pushTagged(root, bytes, ref, io);
    } else await this.#dst.tag(root, ref, io);
  }
}
