import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { keepHeapPolicyWhileStarting } from '../heap-policy.js';

/** How a file of a batch hashed. */
export const enum Hashed {
  /** Its sha256 is its name. */
  Sound = 0,
  /** It hashes to something else (`other(i).digest`). */
  Mismatch = 1,
  /** It could not be read as a regular file (`other(i).openError`). */
  Unreadable = 2,
  /** It is longer than the batch's `cap`: not hashed. */
  TooLong = 3,
}

/** Which files of a batch come back with their bytes (one value per file). */
export const enum Keep {
  No = 0,
  Yes = 1,
  /** When its first byte is `{` (a manifest, a config: JSON), the rest only hashed. */
  Json = 2,
}

/** Why a file was not sound: the digest it hashes to, or why it could not be read. */
export interface HashProblem {
  /** `sha256:<hex>` of the content. */
  digest?: string;
  /** The file could not be read as a regular file (`ENOENT`: gone; `ELOOP`: a link; `ENOTFILE`: not a file). */
  openError?: { code: string; message: string };
}

/** What a worker found of a batch of blob files, in plain arrays (no object per file: 10,000s of them). */
export interface HashedBatch {
  /** Per file: the bytes it holds (bytes read, for one longer than the cap). */
  readonly sizes: Float64Array;
  /** Per file: a `Hashed` value. */
  readonly status: Uint8Array;
  /** The file's bytes, when they were asked for and it was read whole in one read of at most `keepBytes`. */
  bytes(i: number): Buffer | undefined;
  /** What is wrong with a file whose status is Mismatch or Unreadable. */
  problem(i: number): HashProblem;
}

interface Answer {
  sizes: Float64Array;
  status: Uint8Array;
  kept: Uint8Array;
  /** Per file, where its kept bytes end in `kept` (they start where the previous file's end). */
  keptEnd: Uint32Array;
  problems: Array<HashProblem & { i: number }>;
  error?: string;
}

/**
 * The worker: hashes the files of each batch it is sent (by name, in the directory it was started on) with
 * synchronous reads into one reused 1 MiB buffer (a worker has a core of its own; blocking there costs nothing, and
 * saves the thread-pool round trip per read that makes hashing thousands of small blobs slow). No stat: what the
 * caller's directory listing said is a regular file is opened without following links and read; a read of what is
 * not a file fails (EISDIR). Answers in typed arrays, handed over (transferred), not copied. Plain CommonJS with
 * node: builtins only, run from this string, so it works the same in the bundle and in the single executable.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const dir = workerData.dir + '/';
const buf = Buffer.allocUnsafeSlow(1 << 20);
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW;
function unreadable(e, path) {
  if (e.code === 'EISDIR') return { code: 'ENOTFILE', message: path + ' is not a regular file' };
  return { code: e.code || 'EIO', message: e.message };
}
function batch({ names, keep, keepBytes, cap }) {
  const n = names.length;
  const sizes = new Float64Array(n);
  const status = new Uint8Array(n);
  const keptEnd = new Uint32Array(n);
  const problems = [];
  const kept = [];
  let keptBytes = 0;
  for (let i = 0; i < n; i++) {
    const path = dir + names[i];
    let fd;
    try {
      fd = fs.openSync(path, FLAGS);
    } catch (e) {
      status[i] = 2;
      problems.push({ i, openError: unreadable(e, path) });
      keptEnd[i] = keptBytes;
      continue;
    }
    try {
      const h = createHash('sha256');
      let size = 0;
      for (let got; (got = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
        if (size === 0 && keep[i] && got <= keepBytes && got < buf.length && (keep[i] === 1 || buf[0] === 0x7b)) {
          const b = Buffer.from(buf.subarray(0, got));
          kept.push(b);
          keptBytes += got;
        }
        h.update(buf.subarray(0, got));
        size += got;
        if (size > cap) break;
        if (got < buf.length) break; // a short read of a regular file is its end: no further read to see it
      }
      sizes[i] = size;
      if (size > cap) status[i] = 3;
      else {
        const hex = h.digest('hex');
        if (hex !== names[i]) {
          status[i] = 1;
          problems.push({ i, digest: 'sha256:' + hex });
        }
      }
    } catch (e) {
      status[i] = 2;
      problems.push({ i, openError: unreadable(e, path) });
    } finally {
      fs.closeSync(fd);
    }
    keptEnd[i] = keptBytes;
  }
  const all = new Uint8Array(new ArrayBuffer(keptBytes));
  let at = 0;
  for (const b of kept) {
    all.set(b, at);
    at += b.byteLength;
  }
  return { sizes, status, kept: all, keptEnd, problems };
}
parentPort.on('message', (job) => {
  try {
    const a = batch(job);
    parentPort.postMessage(a, [a.sizes.buffer, a.status.buffer, a.kept.buffer, a.keptEnd.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: e.message });
  }
});
`;

function batchOf(a: Answer): HashedBatch {
  const kept = Buffer.from(a.kept.buffer, a.kept.byteOffset, a.kept.byteLength);
  return {
    sizes: a.sizes,
    status: a.status,
    bytes: (i) => {
      const start = i === 0 ? 0 : (a.keptEnd[i - 1] as number);
      const end = a.keptEnd[i] as number;
      return end > start ? kept.subarray(start, end) : undefined;
    },
    problem: (i) => a.problems.find((p) => p.i === i) ?? {},
  };
}

/** One hashing thread: batches are answered in the order they were sent, so several may be in flight. */
class HashThread {
  readonly worker: Worker;
  readonly #waiting: Array<{ resolve: (a: Answer) => void; reject: (e: Error) => void }> = [];
  #failure: Error | undefined;

  constructor(dir: string) {
    // a small heap: a batch's answer is handed over, so nothing piles up in the thread
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { dir },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    this.worker.on('message', (a: Answer) => {
      const w = this.#waiting.shift();
      if (a.error !== undefined) w?.reject(new Error(`hashing blobs: ${a.error}`));
      else w?.resolve(a);
    });
    const fail = (e: Error) => {
      this.#failure ??= e;
      for (const w of this.#waiting.splice(0)) w.reject(e);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('hashing blobs: a hashing thread stopped')));
  }

  get inFlight(): number {
    return this.#waiting.length;
  }

  hash(job: { names: string[]; keep: Uint8Array; keepBytes: number; cap: number }): Promise<HashedBatch> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<Answer>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.worker.postMessage(job, [job.keep.buffer as ArrayBuffer]);
    }).then(batchOf);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * Threads (default: the machine's cores, at most 4) that hash the blob files of one directory, named by their
 * file names; started at once, so they boot while the caller reads what it needs. A batch goes to the thread with
 * the fewest batches in flight.
 */
export class HashPool {
  readonly #threads: HashThread[];

  constructor(dir: string, threads = Math.min(availableParallelism(), 4)) {
    this.#threads = Array.from({ length: Math.max(1, threads) }, () => new HashThread(dir));
    keepHeapPolicyWhileStarting(this.#threads.map((t) => t.worker));
  }

  get size(): number {
    return this.#threads.length;
  }

  /**
   * Hashes the files `names`; those `keep` marks come back with their bytes when they hold at most `keepBytes`
   * (`Keep.Json`: and their first byte is `{`). A file longer than `cap` is read only that far (status TooLong).
   */
  hash(names: string[], keep: Uint8Array, o: { keepBytes: number; cap?: number }): Promise<HashedBatch> {
    const t = this.#threads.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    return t.hash({ names, keep, keepBytes: o.keepBytes, cap: o.cap ?? Number.MAX_SAFE_INTEGER });
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.close()));
  }
}

/**
 * Hashes every file of `names` through `pool` in batches, two in flight per thread (one hashed while the other's
 * answer is taken), handing each batch to `onBatch` with the index of its first file as it comes back.
 */
export async function hashEvery(
  pool: HashPool,
  names: readonly string[],
  keep: (i: number) => Keep,
  keepBytes: number,
  onBatch: (start: number, b: HashedBatch) => void,
): Promise<void> {
  const lanes = 2 * pool.size;
  // small batches when there are few files (a few big blobs spread over the threads), up to 128 when there are many
  const size = Math.max(1, Math.min(128, Math.ceil(names.length / (lanes * 4))));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < names.length) {
      const start = next;
      next = Math.min(names.length, next + size);
      const keeps = new Uint8Array(next - start);
      for (let i = start; i < next; i++) keeps[i - start] = keep(i);
      onBatch(start, await pool.hash(names.slice(start, next), keeps, { keepBytes }));
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
