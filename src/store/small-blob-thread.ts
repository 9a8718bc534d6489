import { Worker } from 'node:worker_threads';
import { keepHeapPolicyWhileStarting } from '../heap-policy.js';

/** Files gathered before a batch is handed to the thread, and bytes. */
const BATCH_FILES = 256;
const BATCH_BYTES = 1 << 20;
/** Batches handed over and not yet written, before write() asks its caller to wait. */
const IN_FLIGHT = 4;

/**
 * The thread: creates each file of a batch under its name (`wx`, read-only, no links followed) with synchronous
 * calls — open, write, close — one after another on a core of its own, and answers once per batch. A file that
 * exists already is left alone (a write of the same digest came first: the same bytes). The first failure ends
 * the batch: its partial file is removed and the error answered, so nothing after it is written. Plain CommonJS
 * with node: builtins only, run from this string (as check-hash.ts's thread), so it runs the same in the bundle and
 * in the single executable.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ dir, names, bytes, ends }) => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0, start = 0; i < names.length; start = ends[i], i++) {
    const path = dir + names[i];
    let fd;
    try {
      fd = fs.openSync(path, 'wx', 0o444);
    } catch (e) {
      if (e.code === 'EEXIST') continue;
      parentPort.postMessage({ error: e.message, code: e.code, syscall: e.syscall, path: e.path });
      return;
    }
    try {
      for (let n = start; n < ends[i]; ) n += fs.writeSync(fd, buf, n, ends[i] - n);
      fs.closeSync(fd);
    } catch (e) {
      try { fs.closeSync(fd); } catch {}
      fs.rmSync(path, { force: true });
      parentPort.postMessage({ error: e.message, code: e.code, syscall: e.syscall, path: e.path });
      return;
    }
  }
  parentPort.postMessage({});
});
`;

interface Batch {
  names: string[];
  parts: Buffer[];
  bytes: number;
}

/**
 * Writes many small blob files of one directory on a thread of its own, so that a load of thousands of small packs
 * verifies and parses on one core while their files are created on the other (creating 30,000 files was 1.3 s of
 * a 10,000-pack load's 3.8 s on its one thread). The files are written in batches, in order; `flush()` resolves once
 * every file handed over is on disk (not yet durable: the caller syncs, as it would its own writes), and rejects with
 * the first failure, which every later call then repeats. For a private directory only (a load's staging area):
 * a file is readable under its name before it is whole.
 */
export class SmallBlobThread {
  readonly #dir: string;
  readonly #worker: Worker;
  /** The batches handed over and not yet answered, oldest first. */
  readonly #waiting: Array<{ answered: Promise<void>; resolve: () => void; reject: (e: Error) => void }> = [];
  #batch: Batch = { names: [], parts: [], bytes: 0 };
  #failure: Error | undefined;

  /** `dir`: the directory every name is in. */
  constructor(dir: string) {
    this.#dir = dir.endsWith('/') ? dir : `${dir}/`;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // what a batch holds is handed over and dropped: a small heap is all it needs
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    keepHeapPolicyWhileStarting([this.#worker]);
    this.#worker.unref(); // kept alive only while batches are in flight: an idle thread never holds the process
    this.#worker.on(
      'message',
      ({ error, ...errno }: { error?: string; code?: string; syscall?: string; path?: string }) => {
        // the thread's failure as the errno error it was (io-error.ts names a full disk or a read-only one)
        if (error === undefined) this.#waiting.shift()?.resolve();
        else this.#fail(Object.assign(new Error(error), errno));
        if (this.#waiting.length === 0) this.#worker.unref();
      },
    );
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', () => this.#fail(new Error(`writing blobs into ${this.#dir}: the thread stopped`)));
  }

  /**
   * Hands `bytes` over to be written as the file `name` (its bytes are not copied: the caller must not change
   * them). Returns a promise when the caller should wait before handing over more (batches are piling up), else
   * undefined. Throws the first failure.
   */
  write(name: string, bytes: Buffer): Promise<void> | undefined {
    if (this.#failure) throw this.#failure;
    const b = this.#batch;
    b.names.push(name);
    b.parts.push(bytes);
    b.bytes += bytes.byteLength;
    if (b.names.length < BATCH_FILES && b.bytes < BATCH_BYTES) return undefined;
    this.#send();
    return this.#waiting.length >= IN_FLIGHT ? this.#waiting[0]?.answered : undefined;
  }

  /** Resolves once every file handed over is written; rejects with the first failure. */
  async flush(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#batch.names.length > 0) this.#send();
    while (this.#waiting.length > 0) await this.#waiting[0]?.answered;
  }

  /** Stops the thread (after flush(), or to abandon what is still queued: the caller removes the directory). */
  async close(): Promise<void> {
    // no answer is taken from here on (one would unreference the thread while terminate() waits for its exit)
    for (const event of ['message', 'exit']) this.#worker.removeAllListeners(event);
    this.#failure ??= new Error(`writing blobs into ${this.#dir}: closed`);
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
    this.#worker.ref(); // an unreferenced thread's exit would not keep the process alive until terminate() settles
    await this.#worker.terminate();
  }

  #send(): void {
    const { names, parts, bytes } = this.#batch;
    this.#batch = { names: [], parts: [], bytes: 0 };
    const all = new Uint8Array(new ArrayBuffer(bytes));
    const ends = new Uint32Array(names.length);
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      all.set(parts[i] as Buffer, at);
      ends[i] = at += (parts[i] as Buffer).byteLength;
    }
    let resolve = () => {};
    let reject: (e: Error) => void = () => {};
    const answered = new Promise<void>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    answered.catch(() => undefined); // a failure is also kept, and thrown by the next call
    if (this.#waiting.push({ answered, resolve, reject }) === 1) this.#worker.ref();
    this.#worker.postMessage({ dir: this.#dir, names, bytes: all, ends }, [all.buffer, ends.buffer]);
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
  }
}
