/** Manifest bytes seen in this run (resolved by GET, or pushed), so tagging and fetching need no second request. Bounded by bytes. */
export class ManifestCache {
  readonly #limit: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get(digest: string): Buffer | undefined {
    return this.#entries.get(digest);
  }

  put(digest: string, bytes: Buffer): void {
    if (bytes.byteLength > this.#limit || this.#entries.has(digest)) return;
    this.#entries.set(digest, bytes);
    this.#bytes += bytes.byteLength;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#limit) break;
      this.#entries.delete(k);
      this.#bytes -= v.byteLength;
    }
  }
}
