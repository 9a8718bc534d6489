import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { namingPath } from '../fs/io-error.js';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { withFileLock } from '../fs/lock.js';
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import type { LayoutPaths } from './layout.js';
import { ownerAlive, selfStartToken } from '../fs/owner.js';

/**
 * Leases, as containerd has them: a writer holds a lease on every blob it has written or will reference (blobs it
 * found in the store and skipped included) until its tags are committed, and gc keeps everything a live lease
 * reaches, whatever its grace window. A lease is a file `leases/<pid>-<start>-<random>` of descriptors, one JSON
 * line each; it ends with release(), or with its process (pid and start time, see owner.ts).
 *
 * Protocol: hold(d) returns once `d` is in the lease file, written under the lease lock; gc reads the leases and
 * deletes under the same lock. So a writer that holds `d` and THEN finds it present can rely on it staying: either
 * gc read the lease before deleting, or gc had finished deleting before the writer looked.
 */
export class Lease {
  readonly #paths: LayoutPaths;
  readonly #id = randomBytes(6).toString('hex');
  /** Digest → the write that records it (a failed write is forgotten, so a later hold tries again). */
  readonly #held = new Map<string, Promise<void>>();
  /** The batch still taking descriptors: holds that come while the lock is awaited are written together. */
  #batch: { items: Descriptor[]; written: Promise<void> } | undefined;
  #chain: Promise<void> = Promise.resolve();
  #file: string | undefined;
  #released = false;

  constructor(paths: LayoutPaths) {
    this.#paths = paths;
  }

  /** Holds `ds` (and, for gc, everything their graphs reach). Resolves once gc is sure to see them. */
  async hold(ds: readonly Descriptor[]): Promise<void> {
    if (this.#released)
      throw new ScrydonError('internal', `lease ${this.#id} on ${this.#paths.root} is already released`);
    const waits: Array<Promise<void>> = [];
    for (const d of ds) {
      let w = this.#held.get(d.digest);
      if (!w) {
        w = this.#enqueue(plainDescriptor(d));
        this.#held.set(d.digest, w);
        w.catch(() => this.#held.delete(d.digest));
      }
      waits.push(w);
    }
    await Promise.all(waits);
  }

  /**
   * Whether `d` is in the store (`present` looks), holding it if so: looked at, held, looked at again — what is
   * still there after the hold stays. A blob that is not there is not held: its writer holds it before it
   * makes it visible (StagingTarget.commit), and no hold is paid for on the way.
   */
  async holdPresent(d: Descriptor, present: () => Promise<boolean>): Promise<boolean> {
    if (!this.#held.has(d.digest) && !(await present())) return false;
    await this.hold([d]);
    return present();
  }

  /** Ends the lease (its tags are committed, or its writer gave up). Idempotent. */
  async release(): Promise<void> {
    this.#released = true;
    await this.#chain;
    if (this.#file !== undefined) await rm(this.#file, { force: true });
  }

  #enqueue(d: Descriptor): Promise<void> {
    let batch = this.#batch;
    if (!batch) {
      const items: Descriptor[] = [];
      const written = this.#chain.then(() => this.#write(items));
      batch = { items, written };
      this.#batch = batch;
      this.#chain = written.catch(() => undefined);
    }
    batch.items.push(d);
    return batch.written;
  }

  async #write(items: Descriptor[]): Promise<void> {
    this.#file ??= join(this.#paths.leases, `${process.pid}-${await selfStartToken()}-${this.#id}`);
    const file = this.#file;
    const detach = () => {
      if (this.#batch?.items === items) this.#batch = undefined; // holds from here on start the next batch
    };
    try {
      await withLeaseLock(this.#paths, async () => {
        detach();
        const lines = items.map((d) => JSON.stringify(d)).join('\n') + '\n';
        await namingPath(file, () =>
          appendFile(file, lines).catch(async (e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
            await mkdir(this.#paths.leases, { recursive: true }); // the first lease of a store makes the directory
            await appendFile(file, lines);
          }),
        );
      });
    } finally {
      detach();
    }
  }
}

/** Runs `fn` holding the lease lock: lease writes take it for an append, gc for reading leases and deleting. */
export function withLeaseLock<T>(p: LayoutPaths, fn: () => Promise<T>): Promise<T> {
  return withFileLock(p.leases, fn);
}

/** Runs `fn` with a fresh lease, released however `fn` ends. */
export async function withLease<T>(p: LayoutPaths, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = new Lease(p);
  try {
    return await fn(lease);
  } finally {
    await lease.release();
  }
}

interface LeaseScan {
  /** What live leases hold. */
  held: Descriptor[];
  live: number;
  /** Leases of processes that are gone (removed unless the scan was a dry run). */
  expired: number;
}

const NAME = /^(\d{1,10})-(\d{1,20})-[0-9a-f]+$/;

/** Reads every lease; expired ones are removed when `removeExpired`. Call holding the lease lock. */
export async function scanLeases(p: LayoutPaths, o: { removeExpired: boolean }): Promise<LeaseScan> {
  const scan: LeaseScan = { held: [], live: 0, expired: 0 };
  let names: string[];
  try {
    names = await readdir(p.leases);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return scan;
    throw e;
  }
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const path = join(p.leases, name);
    if (!(await ownerAlive(Number(m[1]), m[2] as string))) {
      scan.expired++;
      if (o.removeExpired) await rm(path, { force: true });
      continue;
    }
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined; // released meanwhile
      throw e;
    });
    if (text === undefined) continue;
    scan.live++;
    for (const line of text.split('\n')) {
      const d = parseLine(line);
      if (d) scan.held.push(d);
    }
  }
  return scan;
}

function parseLine(line: string): Descriptor | undefined {
  if (line === '') return undefined;
  try {
    const v = JSON.parse(line) as Partial<Descriptor>;
    if (
      typeof v.mediaType === 'string' &&
      typeof v.digest === 'string' &&
      isDigest(v.digest) &&
      Number.isSafeInteger(v.size) &&
      (v.size as number) >= 0
    ) {
      return { mediaType: v.mediaType, digest: v.digest, size: v.size as number };
    }
  } catch {
    // a torn line of a writer killed mid-append: its lease has expired with it
  }
  return undefined;
}
