import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { fsyncDir } from '../fs/atomic-write.js';
import { BackgroundFlush } from '../fs/file-sink.js';
import { namingPath } from '../fs/io-error.js';

/**
 * Where an archive's bytes go: appended in order, then finished (made visible) or aborted (removed where
 * possible). write() resolves only when the sink is done with the buffer: callers reuse it.
 */
export interface ArchiveSink {
  readonly name: string;
  write(b: Buffer): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** An archive file: written as FILE.tmp-<rand> beside FILE, fsynced and renamed on finish; a failed save leaves no FILE. */
export async function fileSink(path: string): Promise<ArchiveSink> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh: FileHandle = await namingPath(path, () => open(tmp, 'wx', 0o644));
  const flush = new BackgroundFlush(fh);
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    name: path,
    async write(b) {
      let off = 0;
      await namingPath(path, async () => {
        while (off < b.byteLength) off += (await fh.write(b, off, b.byteLength - off)).bytesWritten;
      });
      flush.wrote(b.byteLength);
    },
    async finish() {
      await namingPath(path, async () => {
        await flush.done();
        await fh.sync();
        await close();
        await rename(tmp, path);
        await fsyncDir(dirname(path));
      });
    },
    async abort() {
      await flush.done();
      await close().catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
}

/**
 * A stream (stdout): each write resolves once the stream has taken the bytes (so the caller may reuse the
 * buffer); never ended here, since its owner may not allow that.
 */
export function streamSink(out: Writable, name = 'stdout'): ArchiveSink {
  let failure: Error | undefined;
  out.on('error', (e: Error) => {
    failure = e;
  });
  return {
    name,
    write(b) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => {
        out.write(b, (e) => (e ? reject(e) : resolve()));
      });
    },
    async finish() {
      if (failure) throw failure;
    },
    async abort() {},
  };
}

/** Writes at least this large go straight through; smaller ones are gathered into a buffer of this size. */
const GATHER = 1 << 20;

/** A sink that gathers small writes, and lends the space for one to be written in place. */
export interface GatheringSink extends ArchiveSink {
  /** `n` bytes (at most GATHER / 4) of the gathering buffer to fill at once, before anything else is written. */
  reserve(n: number): Promise<Buffer>;
  /** reserve(), when the space is there without a flush first; else undefined (nothing reserved). */
  reserveNow(n: number): Buffer | undefined;
}

/**
 * `inner` with small writes gathered (tar headers, padding, small blobs: one write each would be one system call
 * each, thousands for a store of small packs); a write is copied, so the caller may reuse its buffer at once.
 */
export function gathering(inner: ArchiveSink): GatheringSink {
  const buf = Buffer.allocUnsafeSlow(GATHER);
  let used = 0;
  const flush = async () => {
    if (used === 0) return;
    const n = used;
    used = 0;
    await inner.write(buf.subarray(0, n));
  };
  return {
    name: inner.name,
    async write(b) {
      if (b.byteLength >= GATHER / 4) {
        await flush();
        await inner.write(b);
        return;
      }
      if (used + b.byteLength > GATHER) await flush();
      b.copy(buf, used);
      used += b.byteLength;
    },
    async reserve(n) {
      if (used + n > GATHER) await flush();
      used += n;
      return buf.subarray(used - n, used);
    },
    reserveNow(n) {
      if (used + n > GATHER) return undefined;
      used += n;
      return buf.subarray(used - n, used);
    },
    async finish() {
      await flush();
      await inner.finish();
    },
    abort: () => inner.abort(),
  };
}
