import { fsyncDir } from './atomic-write.js';

/**
 * Renames into a directory whose fsync is owed: a writer renames many files in (the store's blobs), notes each, and
 * fsyncs the directory once before anything names them (index.json), instead of once per file. One fsync covers every
 * rename finished before it starts; writers that ask while one runs wait for it, and for another if they renamed
 * after it started.
 */
export class OwedSync {
  #renamed = 0;
  #synced = 0;
  #running: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly sync: (dir: string) => Promise<void> = fsyncDir,
  ) {}

  noted(): void {
    this.#renamed++;
  }

  /** Returns once every rename noted before the call is durable (later ones are their writers' to settle). */
  async settle(): Promise<void> {
    const target = this.#renamed;
    while (this.#synced < target) {
      if (!this.#running) {
        const upTo = this.#renamed;
        this.#running = this.sync(this.dir)
          .then(() => {
            this.#synced = Math.max(this.#synced, upTo);
          })
          .finally(() => {
            this.#running = undefined;
          });
      }
      await this.#running;
    }
  }
}

const owed = new Map<string, OwedSync>();

/** Records a finished rename into `dir` whose directory entry is not yet durable. */
export function noteRenameInto(dir: string): void {
  let o = owed.get(dir);
  if (!o) {
    o = new OwedSync(dir);
    owed.set(dir, o);
  }
  o.noted();
}

/** Makes every rename noted into `dir` by this process durable (one fsync of `dir`, if any is owed). */
export async function settleRenamesInto(dir: string): Promise<void> {
  await owed.get(dir)?.settle();
}
