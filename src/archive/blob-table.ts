import type { Digest } from '../oci/digest.js';
import type { TarEntry } from './tar-index.js';

/**
 * Where each blob of an archive lies, held compactly: a digest string and two numbers each, not a tar entry object
 * with its path (an archive of 10,000 packs lists 30,000 blobs, read until the load ends). The digest strings are
 * the table's own, handed out by key() so what the reader derives from a blob shares them.
 */
export class BlobTable {
  readonly #at = new Map<Digest, number>();
  readonly #keys: Digest[] = [];
  readonly #offsets: Float64Array;
  readonly #sizes: Float64Array;

  constructor(blobs: ReadonlyMap<Digest, TarEntry>) {
    this.#offsets = new Float64Array(blobs.size);
    this.#sizes = new Float64Array(blobs.size);
    for (const [digest, e] of blobs) {
      const i = this.#keys.length;
      this.#at.set(digest, i);
      this.#keys.push(digest);
      this.#offsets[i] = e.offset;
      this.#sizes[i] = e.size;
    }
  }

  has(digest: string): boolean {
    return this.#at.has(digest as Digest);
  }

  /** The blob's size in the archive, or undefined when the archive does not hold it. */
  size(digest: string): number | undefined {
    const i = this.#at.get(digest as Digest);
    return i === undefined ? undefined : this.#sizes[i];
  }

  /** Where the blob's bytes start (the archive holds it: size() said so). */
  offset(digest: string): number {
    return this.#offsets[this.#at.get(digest as Digest) ?? -1] ?? NaN;
  }

  /** The table's own string for `digest` (the same characters), or `digest` itself when the archive lacks it. */
  key(digest: Digest): Digest {
    const i = this.#at.get(digest);
    return i === undefined ? digest : (this.#keys[i] as Digest);
  }
}
