/** Byte buffers by key (manifests by digest, small blobs), the least recently used dropped first once their total passes `maxBytes`. */
export class BytesLru {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get(key: string): Buffer | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key); // most recently used last
      this.#entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, bytes: Buffer): void {
    if (this.#entries.has(key) || bytes.byteLength > this.#maxBytes) return;
    this.#entries.set(key, bytes);
    this.#bytes += bytes.byteLength;
    for (const [k, b] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= b.byteLength;
    }
  }
}
