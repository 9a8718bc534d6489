import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * Chunk size. Measured here serving 1 GiB over loopback: 2 MiB chunks cost the server about 20% less CPU than
 * 1 MiB ones (4 MiB gains nothing more), and CPU is what a 2-core machine shares with the pulling client.
 */
const CHUNK = 2 << 20;
/** Buffers per download: one being written to the socket while the next chunk is read into the other. */
const BUFFERS = 2;

/** `p`, or a rejection as soon as `signal` aborts (a write to a dead socket must not be waited on forever). */
function orAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', stop);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', stop);
        reject(e);
      },
    );
  });
}

/**
 * Sends `length` bytes of an open file from `start` to `out` through two reused 2 MiB buffers:
 * read a chunk, hand it to the socket, read the next while it drains, and reuse a buffer only once its write
 * has completed. No allocation per chunk (which costs page faults), backpressure by construction (at most
 * BUFFERS writes pending), memory flat whatever the size. Rejects when the client goes away or the file
 * ends early; the caller then destroys the connection so a cut answer never looks complete.
 */
export async function writeFileRange(
  fh: FileHandle,
  start: number,
  length: number,
  out: Writable,
  signal: AbortSignal,
): Promise<void> {
  const free: Buffer[] = [];
  const pending: Array<Promise<Buffer>> = [];
  let pos = start;
  let left = length;
  while (left > 0) {
    signal.throwIfAborted();
    const buf =
      free.pop() ??
      (pending.length >= BUFFERS
        ? await orAbort(pending.shift() as Promise<Buffer>, signal)
        : Buffer.allocUnsafeSlow(Math.min(CHUNK, length)));
    const len = Math.min(CHUNK, left);
    for (let got = 0; got < len;) {
      const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
      if (bytesRead === 0) throw new Error(`the file ended ${left - got} bytes early`);
      got += bytesRead;
    }
    pos += len;
    left -= len;
    const written = new Promise<Buffer>((resolve, reject) => {
      out.write(len === buf.byteLength ? buf : buf.subarray(0, len), (e) => (e ? reject(e) : resolve(buf)));
    });
    written.catch(() => undefined); // awaited below; never an unhandled rejection when an earlier step fails
    pending.push(written);
  }
  for (const w of pending) free.push(await orAbort(w, signal));
}
