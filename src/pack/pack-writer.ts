import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Pack } from 'tar-stream';
import { isAbortError, ScrydonError } from '../errors.js';
import { writeAllTo } from '../fs/file-sink.js';
import type { Digest } from '../oci/digest.js';
import type { PackEntry } from './walk.js';

/**
 * Writes a deterministic .scrydon-pack.tar.gz: entries in the order given (walk.ts sorts them), owners
 * 0/0 with empty names, normalised modes, one fixed mtime, ustar headers (pax only for long or non-ASCII
 * names), gzip level 6 (gzip's default) with a header of mtime 0 and OS byte 3 whatever the platform.
 * The bytes stream from the files through tar, gzip and a hash to `out`, nothing held in memory; or, for a small
 * pack on its way into the store (packTarGzBytes), into one buffer.
 * (The deflate stream itself is zlib's: a Node built on a different zlib could compress differently.)
 */
interface PackWriteOptions {
  /** Seconds since the epoch for every entry (SOURCE_DATE_EPOCH, or 0). */
  mtime: number;
  /** Refuse output over this many bytes (compressed). */
  maxBytes: number;
  /** Bytes to pack instead of reading the file at that path (pack.json, read once and validated). */
  overrides?: ReadonlyMap<string, Buffer>;
  /** Names the pack in messages. */
  what: string;
  signal?: AbortSignal | undefined;
  /** fsync the file (default); a temp file that is read into the store, which syncs its own copy, needs none. */
  durable?: boolean;
}

interface WrittenFile {
  digest: Digest;
  size: number;
}

const GZIP_LEVEL = 6;
const GZIP_OS_UNIX = 3;
const READ_CHUNK = 1 << 20;

/** Writes the pack to `out` (created; must not exist), fsynced unless `durable` is false. Removes it on any failure. */
export async function writePackTarGz(
  entries: readonly PackEntry[],
  out: string,
  o: PackWriteOptions,
): Promise<WrittenFile> {
  const fh = await open(out, 'wx', 0o644);
  let ok = false;
  try {
    const written = await packTarGz(entries, o, async (source) => {
      await writeAllTo(fh, source, o.signal);
    });
    if (o.durable !== false) await fh.sync();
    ok = true;
    return written;
  } finally {
    await fh.close();
    if (!ok) await rm(out, { force: true });
  }
}

/** The same pack's bytes in memory: a small pack on its way into the store needs no file of its own. */
export async function packTarGzBytes(
  entries: readonly PackEntry[],
  o: PackWriteOptions,
): Promise<WrittenFile & { bytes: Buffer }> {
  const chunks: Buffer[] = [];
  const written = await packTarGz(entries, o, async (source) => {
    for await (const chunk of source) chunks.push(chunk as Buffer);
  });
  return { ...written, bytes: Buffer.concat(chunks) };
}

/** Streams the entries through tar, gzip, the header fix and a hash into `sink`. */
async function packTarGz(
  entries: readonly PackEntry[],
  o: PackWriteOptions,
  sink: (source: AsyncIterable<unknown>) => Promise<void>,
): Promise<WrittenFile> {
  try {
    const pack = tar.pack();
    const counter = new HashCounter(o.maxBytes, o.what);
    const piped = pipeline(pack, createGzip({ level: GZIP_LEVEL }), new FixGzipHeader(), counter, sink, {
      signal: o.signal,
    });
    const fed = feed(pack, entries, o).catch((e: unknown) => {
      pack.destroy(e instanceof Error ? e : new Error(String(e)));
      throw e;
    });
    const failures = (await Promise.allSettled([piped, fed])).flatMap((r) =>
      r.status === 'rejected' ? [r.reason as unknown] : [],
    );
    if (failures.length > 0) throw failures.find((e) => e instanceof ScrydonError) ?? failures[0];
    return { digest: counter.digest(), size: counter.size };
  } catch (e) {
    if (isAbortError(e)) throw new ScrydonError('aborted', `${o.what}: build interrupted`, { cause: e });
    throw e;
  }
}

type TarPack = Pack;
type Sink = ReturnType<Pack['entry']>;

async function feed(pack: TarPack, entries: readonly PackEntry[], o: PackWriteOptions): Promise<void> {
  const mtime = new Date(o.mtime * 1000);
  for (const e of entries) {
    o.signal?.throwIfAborted();
    const base = { mode: e.mode, uid: 0, gid: 0, uname: '', gname: '', mtime };
    if (e.type === 'directory') {
      await entryDone(pack, { ...base, name: `${e.path}/`, type: 'directory' });
      continue;
    }
    const override = o.overrides?.get(e.path);
    if (override) {
      await entryDone(pack, { ...base, name: e.path, type: 'file', size: override.byteLength }, override);
      continue;
    }
    await writeFileEntry(pack, e, { ...base, name: e.path, type: 'file', size: e.size }, o.what);
  }
  pack.finalize();
}

type Header = Parameters<TarPack['entry']>[0];

function entryDone(pack: TarPack, header: Header, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    quiet(body ? pack.entry(header, body, cb) : pack.entry(header, cb));
  });
}

/** Streams one file into its entry; the file must still be the regular file of the size walked. */
async function writeFileEntry(pack: TarPack, e: PackEntry, header: Header, what: string): Promise<void> {
  const fh = await open(e.source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== e.size) {
      throw new ScrydonError('io_error', `${what}: ${e.path} changed while it was being packed`, {
        hint: 'rerun the build',
      });
    }
    let finish: (err?: Error | null) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      finish = (err) => (err ? reject(err) : resolve());
    });
    done.catch(() => undefined); // awaited below; a failure before that is reported by the pipeline
    const sink = quiet(pack.entry(header, (err?: Error | null) => finish(err)));
    let written = 0;
    for (;;) {
      // a fresh buffer per read: tar-stream keeps a reference to each chunk until it is consumed
      const b = Buffer.allocUnsafe(Math.min(READ_CHUNK, e.size - written + 1));
      const { bytesRead } = await fh.read(b, 0, b.byteLength, written);
      if (bytesRead === 0) break;
      written += bytesRead;
      if (written > e.size) break;
      if (!sink.write(b.subarray(0, bytesRead))) await drained(sink);
      if (sink.destroyed) break;
      // a read short of the byte asked for past the walked size is the end of the file: no read to hear it again
      if (written === e.size && bytesRead < b.byteLength) break;
    }
    if (sink.destroyed) {
      await done;
      throw new ScrydonError('internal', `${what}: the tar stream closed early`);
    }
    if (written !== e.size) {
      sink.destroy(new Error('size changed'));
      throw new ScrydonError('io_error', `${what}: ${e.path} changed while it was being packed`, {
        hint: 'rerun the build',
      });
    }
    sink.end(undefined);
    await done;
  } finally {
    await fh.close();
  }
}

/** An entry's errors reach us through its callback and the pipeline; without a listener they would crash the process. */
function quiet(sink: Sink): Sink {
  sink.on('error', () => undefined);
  return sink;
}

/**
 * Resolves when a tar entry can take more bytes, or has been destroyed (the pipeline failed). A sink destroyed
 * already has sent its 'close' (a write to it returns false): waiting for one would never end, and with nothing
 * else pending the event loop would run dry before the build's error is reported.
 */
function drained(sink: Sink): Promise<void> {
  if (sink.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
  });
}

/** Sets the gzip header's OS byte (offset 9) to 3 so the output is the same on every platform. */
class FixGzipHeader extends Transform {
  #offset = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#offset <= 9 && this.#offset + chunk.byteLength > 9) {
      chunk = Buffer.from(chunk);
      chunk[9 - this.#offset] = GZIP_OS_UNIX;
    }
    this.#offset += chunk.byteLength;
    cb(null, chunk);
  }
}

/** Hashes and counts the output; fails as soon as it grows past the limit. */
class HashCounter extends Transform {
  readonly #hash = createHash('sha256');
  readonly #limit: number;
  readonly #what: string;
  size = 0;

  constructor(limit: number, what: string) {
    super();
    this.#limit = limit;
    this.#what = what;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.byteLength;
    if (this.size > this.#limit) {
      cb(
        new ScrydonError(
          'size_limit_exceeded',
          `${this.#what}: the packed pack is over the ${this.#limit}-byte limit`,
          {
            hint: 'exclude what the pack does not need with .scrydonignore, or raise the limit with --max-size',
          },
        ),
      );
      return;
    }
    this.#hash.update(chunk);
    cb(null, chunk);
  }

  digest(): Digest {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
