import { Worker } from 'node:worker_threads';
import { keepHeapPolicyWhileStarting } from '../heap-policy.js';

/**
 * The thread: hashes the file at `path` from its start, reading (through the page cache) only what the writer says
 * is written — `written`, a Float64 it moves forward and announces by bumping `seq` — and waits on `seq` when it has
 * caught up. Once `ended` is set and every written byte is hashed it answers the sha256 (hex) and the bytes it read.
 * Plain CommonJS with node: builtins only, run from this string (as check-hash.ts's thread).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const flags = new Int32Array(workerData.shared, 0, 2);
const written = new Float64Array(workerData.shared, 8, 1);
const fd = fs.openSync(workerData.path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
const h = createHash('sha256');
const buf = Buffer.allocUnsafeSlow(1 << 20);
let at = 0;
try {
  for (;;) {
    const seq = Atomics.load(flags, 0);
    const ended = Atomics.load(flags, 1) === 1;
    const upto = written[0];
    while (at < upto) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, upto - at), at);
      if (n === 0) throw new Error('the file is shorter than what was written to it');
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      at += n;
    }
    if (ended) break;
    Atomics.wait(flags, 0, seq);
  }
  parentPort.postMessage({ digest: h.digest('hex'), size: at });
} finally {
  fs.closeSync(fd);
}
`;

/**
 * Hashes a file while it is being written, on a thread of its own, a step behind the writer: a pull of a 1 GiB blob
 * spends its main thread on the socket and the writes, and the sha256 (about a second of CPU per GiB) runs beside
 * them on the other core. It hashes what is on disk (through the page cache), which is what gets named by the
 * digest. The writer reports each write done (wrote) and then asks for the digest (digest); close() always.
 */
export class HashBehind {
  readonly #worker: Worker;
  readonly #flags: Int32Array;
  readonly #written: Float64Array;
  readonly #answer: Promise<{ digest: string; size: number }>;

  /** Starts hashing `path`, a file this process is writing from its start (opened at once: it must exist). */
  constructor(path: string) {
    const shared = new SharedArrayBuffer(16);
    this.#flags = new Int32Array(shared, 0, 2);
    this.#written = new Float64Array(shared, 8, 1);
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, shared },
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    keepHeapPolicyWhileStarting([this.#worker]);
    this.#answer = new Promise((resolve, reject) => {
      this.#worker.once('message', resolve);
      this.#worker.on('error', reject);
      this.#worker.once('exit', () => reject(new Error(`hashing ${path}: the thread stopped`)));
    });
    this.#answer.catch(() => undefined); // asked for by digest(); a writer that failed first never asks
  }

  /** `n` more bytes are written (in order, from the start of the file). */
  readonly wrote = (n: number): void => {
    this.#written[0] = (this.#written[0] as number) + n;
    Atomics.add(this.#flags, 0, 1);
    Atomics.notify(this.#flags, 0);
  };

  /** Every byte is written: the sha256 (`sha256:<hex>`) of the whole file and its size, once the thread caught up. */
  async digest(): Promise<{ digest: string; size: number }> {
    this.#end();
    const { digest, size } = await this.#answer;
    return { digest: `sha256:${digest}`, size };
  }

  /** Stops the thread (done, or abandoned by a failed write: it is woken from its wait, then stopped). */
  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    this.#end();
    await this.#worker.terminate();
  }

  #end(): void {
    Atomics.store(this.#flags, 1, 1);
    Atomics.add(this.#flags, 0, 1);
    Atomics.notify(this.#flags, 0);
  }
}
