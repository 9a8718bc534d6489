import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** What a worker found of one blob file: its sha256 and size, or why it could not read it. */
export interface Rehashed {
  size: number;
  /** `sha256:<hex>` of the content. */
  digest?: string;
  /** The file could not be opened as a regular file (`ENOENT`: gone; `ELOOP`: a link; `ENOTFILE`: not a file). */
  openError?: { code: string; message: string };
  /** The file's bytes, when they were asked for and it is no larger than KEEP_BYTES (a manifest check reads next). */
  bytes?: Uint8Array;
}

/** Files asked to be kept are handed back whole up to this size. */
const KEEP_BYTES = 64 * 1024;

/**
 * The worker: hashes the files of each batch it is sent with synchronous reads into one reused 1 MiB buffer
 * (a worker has a core of its own; blocking there costs nothing, and saves the thread-pool round trip per
 * read that makes hashing thousands of small blobs slow). Plain CommonJS with node: builtins only, run from
 * this string, so it works the same in the bundle and in the single executable.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const buf = Buffer.allocUnsafeSlow(1 << 20);
function hashOne(path, keep) {
  let fd;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return { size: 0, openError: { code: e.code || 'EIO', message: e.message } };
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return { size: 0, openError: { code: 'ENOTFILE', message: path + ' is not a regular file' } };
    const h = createHash('sha256');
    let size = 0;
    let bytes;
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; size += n) {
      h.update(buf.subarray(0, n));
      bytes = keep && size === 0 && n <= ${KEEP_BYTES} ? Buffer.from(buf.subarray(0, n)) : undefined;
      if (n < buf.length) {
        size += n;
        break; // a short read of a regular file is its end: no further read to see it
      }
    }
    return { size, digest: 'sha256:' + h.digest('hex'), ...(bytes ? { bytes } : {}) };
  } finally {
    fs.closeSync(fd);
  }
}
parentPort.on('message', ({ paths, keep }) => {
  try {
    parentPort.postMessage({ results: paths.map((p, i) => hashOne(p, keep[i])) });
  } catch (e) {
    parentPort.postMessage({ error: e.message });
  }
});
`;

/**
 * Hashes every file of `paths` on up to `workers` threads (default: the machine's cores, at most 4); results in
 * order. The files `keep` says (by index) come back with their bytes, when small.
 */
export async function rehashFiles(
  paths: readonly string[],
  keep: (i: number) => boolean = () => false,
  workers = Math.min(availableParallelism(), 4),
): Promise<Rehashed[]> {
  const results: Rehashed[] = new Array<Rehashed>(paths.length);
  if (paths.length === 0) return results;
  const n = Math.max(1, Math.min(workers, paths.length));
  // small batches when there are few files (a few big blobs spread over the threads), up to 64 when there are many
  const batch = Math.max(1, Math.min(64, Math.ceil(paths.length / (n * 8))));
  let next = 0;
  const run = async (): Promise<void> => {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    try {
      while (next < paths.length) {
        const start = next;
        next = Math.min(paths.length, next + batch);
        const answer = await new Promise<{ results?: Rehashed[]; error?: string }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
          w.postMessage({
            paths: paths.slice(start, next),
            keep: Array.from({ length: next - start }, (_, i) => keep(start + i)),
          });
        });
        w.removeAllListeners('error');
        if (answer.error !== undefined || !answer.results) throw new Error(`hashing blobs: ${answer.error}`);
        answer.results.forEach((r, i) => (results[start + i] = r));
      }
    } finally {
      await w.terminate();
    }
  };
  await Promise.all(Array.from({ length: n }, run));
  return results;
}
