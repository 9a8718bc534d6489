import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Extract, Header } from 'tar-stream';
import { VerifyStream } from '../content/verify-stream.js';
import { isAbortError, ScrydonError } from '../errors.js';

/**
 * A safe streaming reader over a pack's tar.gz. Packs hold regular files and directories only, under
 * relative, already-normal paths; everything else is refused before a byte of it is used. Total size and
 * entry count are bounded (tar bombs), and a truncated or corrupt archive is an error, never a clean end.
 */

export interface PackTarLimits {
  /** Sum of the declared sizes of every file (uncompressed). */
  maxTotalBytes: number;
  maxEntries: number;
  /** pack.json at the root of the archive. */
  maxPackJsonBytes: number;
}

export const DEFAULT_PACK_TAR_LIMITS: Readonly<PackTarLimits> = {
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntries: 10_000,
  maxPackJsonBytes: 1024 * 1024,
};

export const PACK_JSON_PATH = 'pack.json';

export interface PackTarEntry {
  /** Relative POSIX path, normalised: no `./` prefix, no trailing slash. */
  path: string;
  type: 'file' | 'directory';
  /** Bytes of a file (0 for a directory). */
  size: number;
  /** Permission bits from the archive (0o777 mask; setuid, setgid and sticky bits are dropped). */
  mode: number;
  /**
   * The file's bytes. Read it to the end, or not at all, before asking for the next entry (an unread body
   * is skipped; breaking out of it half-way ends the whole walk). Empty for a directory.
   */
  body: AsyncIterable<Buffer>;
}

export interface PackTarOptions {
  /** Names the archive in messages: `layer sha256:… of acme.fraud:1.2.0`. */
  what: string;
  limits?: Partial<PackTarLimits> | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_PATH_BYTES = 4096;
const MAX_SEGMENT_BYTES = 255;

const BOMB_HINT = 'a pack unpacks to a bounded size and entry count; this archive is over the limit (a tar bomb?)';

function unsafePath(what: string, name: string, why: string): ScrydonError {
  return new ScrydonError('unsafe_path', `${what}: entry "${printable(name)}" ${why}`, {
    hint: 'a pack holds only relative paths inside the pack; rebuild it with scrydon build',
  });
}

function unsafeEntry(what: string, name: string, why: string): ScrydonError {
  return new ScrydonError('unsafe_entry', `${what}: entry "${printable(name)}" ${why}`, {
    hint: 'a pack holds only regular files and directories; rebuild it with scrydon build',
  });
}

function printable(s: string): string {
  return (
    s
      .slice(0, 300)
      // eslint-disable-next-line no-control-regex -- control characters are what this makes visible
      .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}

/**
 * Checks one raw entry name and returns its normal form, or undefined for the archive's root (`./`).
 * Pure: exported for unit tests and for anything else that must judge a pack path.
 */
function normalizeEntryPath(raw: string, isDirectory: boolean, what: string): string | undefined {
  if (raw.length === 0) throw unsafePath(what, raw, 'has an empty name');
  if (raw.includes('\u0000')) throw unsafePath(what, raw, 'contains a NUL byte');
  if (raw.includes('\\')) throw unsafePath(what, raw, 'contains a backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(raw)) throw unsafePath(what, raw, 'contains a control character');
  if (raw.startsWith('/')) throw unsafePath(what, raw, 'is an absolute path');
  if (/^[A-Za-z]:/.test(raw)) throw unsafePath(what, raw, 'starts with a drive letter');
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) throw unsafePath(what, raw, `is longer than ${MAX_PATH_BYTES} bytes`);
  let name = raw.startsWith('./') ? raw.slice(2) : raw;
  if (name.endsWith('/')) {
    if (!isDirectory) throw unsafePath(what, raw, 'ends with "/" but is not a directory');
    name = name.slice(0, -1);
  }
  if (name === '' || name === '.') {
    if (!isDirectory) throw unsafePath(what, raw, 'names the pack root but is not a directory');
    return undefined;
  }
  for (const seg of name.split('/')) {
    if (seg === '..') throw unsafePath(what, raw, 'contains a ".." segment (path traversal)');
    if (seg === '' || seg === '.') throw unsafePath(what, raw, 'is not a normal path (empty or "." segment)');
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES)
      throw unsafePath(what, raw, `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return name;
}

/**
 * The shape checks across entries: duplicates (also after Unicode NFC and case folding, so a pack cannot
 * overwrite itself on macOS or Windows), a file under a file, a directory over a file, limits.
 */
class EntryLedger {
  /** collision key → kind: explicit file or dir, or a dir implied by a deeper entry. */
  readonly #seen = new Map<string, 'file' | 'dir' | 'implied-dir'>();
  #entries = 0;
  #bytes = 0;

  constructor(
    readonly limits: PackTarLimits,
    readonly what: string,
  ) {}

  admit(path: string, type: 'file' | 'directory', size: number): void {
    const { what, limits } = this;
    if (++this.#entries > limits.maxEntries) {
      throw new ScrydonError('size_limit_exceeded', `${what}: more than ${limits.maxEntries} entries`, {
        hint: BOMB_HINT,
      });
    }
    this.#bytes += size;
    if (this.#bytes > limits.maxTotalBytes) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `${what}: files add up to more than ${limits.maxTotalBytes} bytes at "${printable(path)}"`,
        { hint: BOMB_HINT },
      );
    }
    if (path === PACK_JSON_PATH && size > limits.maxPackJsonBytes) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `${what}: pack.json is ${size} bytes, over the ${limits.maxPackJsonBytes}-byte limit`,
      );
    }
    const segs = path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const parent = collisionKey(segs.slice(0, i).join('/'));
      const kind = this.#seen.get(parent);
      if (kind === 'file') throw unsafeEntry(what, path, 'is nested under a file');
      if (kind === undefined) this.#seen.set(parent, 'implied-dir');
    }
    const key = collisionKey(path);
    const prev = this.#seen.get(key);
    if (type === 'directory') {
      if (prev === 'file' || prev === 'dir')
        throw unsafeEntry(what, path, 'appears twice in the archive (or collides with another name)');
      this.#seen.set(key, 'dir');
    } else {
      if (prev !== undefined)
        throw unsafeEntry(what, path, 'appears twice in the archive (or collides with another name)');
      this.#seen.set(key, 'file');
    }
  }
}

function collisionKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

function entryType(h: Header, what: string): 'file' | 'directory' {
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      throw unsafeEntry(
        what,
        h.name,
        `is a symbolic link (to "${printable(h.linkname ?? '')}"); packs never contain links`,
      );
    case 'link':
      throw unsafeEntry(
        what,
        h.name,
        `is a hard link (to "${printable(h.linkname ?? '')}"); packs never contain links`,
      );
    case 'character-device':
    case 'block-device':
      throw unsafeEntry(what, h.name, `is a ${h.type}`);
    case 'fifo':
      throw unsafeEntry(what, h.name, 'is a FIFO');
    default:
      throw unsafeEntry(what, h.name, `has an unsupported type "${String(h.type)}"`);
  }
}

/** Maps a low-level gzip/tar failure to the stable codes; ScrydonErrors (limits, verify) pass through. */
function archiveError(e: unknown, what: string): ScrydonError {
  if (e instanceof ScrydonError) return e;
  if (isAbortError(e)) return new ScrydonError('aborted', `${what}: interrupted`, { cause: e });
  const err = e as NodeJS.ErrnoException;
  const msg = err instanceof Error ? err.message : String(e);
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of (file|data)/i.test(msg) || /premature close/i.test(msg)) {
    return new ScrydonError('archive_truncated', `${what}: the archive is truncated (${msg})`, {
      cause: e,
      hint: 'the pack was cut short; rebuild or fetch it again',
    });
  }
  return new ScrydonError('archive_invalid', `${what}: not a valid tar.gz (${msg})`, {
    cause: e,
    hint: 'a pack layer is a gzip-compressed tar; rebuild it with scrydon build',
  });
}

const EMPTY: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: async function* () {} };

type EntryStream = AsyncIterable<Buffer>;

async function drain(entry: EntryStream): Promise<void> {
  for await (const chunk of entry) void chunk;
}

function mismatch(e: unknown): ScrydonError | undefined {
  return e instanceof ScrydonError && (e.code === 'digest_mismatch' || e.code === 'size_mismatch') ? e : undefined;
}

/**
 * The walk failed: what a verified `source` says of its bytes, reading the rest of it if it has not ended, so
 * that damaged bytes are reported as what they are (`digest_mismatch`, `size_mismatch`) rather than as whatever
 * gzip or tar made of them first. Undefined when the source is not verified or its bytes are sound.
 */
async function sourceVerdict(source: Readable, signal: AbortSignal | undefined): Promise<ScrydonError | undefined> {
  if (!(source instanceof VerifyStream) || signal?.aborted) return undefined;
  if (source.errored) return mismatch(source.errored);
  if (source.destroyed || source.readableEnded) return undefined;
  source.unpipe();
  try {
    for await (const chunk of source) {
      void chunk;
      if (signal?.aborted) return undefined;
    }
  } catch (e) {
    return mismatch(e);
  }
  return undefined;
}

/**
 * Streams the entries of a pack's tar.gz. Every entry is checked before it is yielded; an unsafe one ends
 * the walk with `unsafe_path` / `unsafe_entry`, a limit with `size_limit_exceeded`, a damaged archive with
 * `archive_truncated` / `archive_invalid` — also when the damage shows while a file's body is being read.
 * When `source` is a VerifyStream its digest check wins: a failed walk reads it to the end first, and damaged
 * bytes are `digest_mismatch` whatever the walk made of them. `source` is destroyed when the walk stops early.
 */
export async function* readPackTar(source: Readable, o: PackTarOptions): AsyncGenerator<PackTarEntry, void, undefined> {
  const limits: PackTarLimits = { ...DEFAULT_PACK_TAR_LIMITS, ...o.limits };
  const ledger = new EntryLedger(limits, o.what);
  let failure: unknown;
  const opened: { extract?: Extract } = {};
  const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
  const fail = (e: unknown): void => {
    failure ??= e;
    opened.extract?.destroy(asError(e));
  };
  source.on('error', fail);
  // loaded on first use, not with this module: ls, gc, save and verify load it and never open a layer
  const tarStream = await import('tar-stream').catch((e: unknown) => {
    source.off('error', fail);
    source.destroy();
    throw e;
  });
  const extract = tarStream.default.extract();
  opened.extract = extract;
  if (failure !== undefined) extract.destroy(asError(failure));
  const gunzip = createGunzip();
  const closed = new Promise<void>((resolve) => extract.once('close', () => resolve()));
  extract.on('error', (e: unknown) => {
    failure ??= e;
  });
  gunzip.on('error', fail);
  const onAbort = (): void => fail(o.signal?.reason ?? new DOMException('aborted', 'AbortError'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(gunzip).pipe(extract);

  // an entry body dies with streamx's bare "Stream was destroyed": wait for the archive's own error and report that
  const settle = async (e: unknown): Promise<ScrydonError> => {
    if (!(e instanceof ScrydonError) && failure === undefined) {
      extract.destroy();
      await closed;
    }
    const err = e instanceof ScrydonError ? e : archiveError(failure ?? e, o.what);
    return err.code === 'aborted' ? err : ((await sourceVerdict(source, o.signal)) ?? err);
  };
  const guarded = async function* (entry: EntryStream): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of entry) yield chunk;
    } catch (e) {
      throw await settle(e);
    }
  };

  let completed = false;
  try {
    o.signal?.throwIfAborted();
    for await (const raw of extract) {
      const h = raw.header;
      const entry = raw as unknown as EntryStream;
      const type = entryType(h, o.what);
      const path = normalizeEntryPath(h.name, type === 'directory', o.what);
      const size = type === 'file' ? (h.size ?? 0) : 0;
      if (!Number.isSafeInteger(size) || size < 0)
        throw new ScrydonError('archive_invalid', `${o.what}: entry "${printable(h.name)}" has an invalid size`);
      if (path === undefined) {
        await drain(entry);
        continue;
      }
      ledger.admit(path, type, size);
      yield {
        path,
        type,
        size,
        mode: (h.mode ?? (type === 'directory' ? 0o755 : 0o644)) & 0o777,
        body: type === 'file' ? guarded(entry) : EMPTY,
      };
      await drain(entry);
    }
    if (failure !== undefined) throw failure;
    completed = true;
  } catch (e) {
    throw await settle(failure ?? e);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (!completed) {
      extract.destroy();
      gunzip.destroy();
      source.unpipe(gunzip);
      source.destroy();
    }
  }
}
