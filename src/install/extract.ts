import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { ReadOnlyTarget } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { fsyncDir } from '../fs/atomic-write.js';
import type { Descriptor } from '../oci/descriptor.js';
import { layerEntries } from '../pack/layer-entries.js';
import type { PackTarEntry, PackTarLimits } from '../pack/pack-tar.js';

interface ExtractOptions {
  what: string;
  limits?: Partial<PackTarLimits> | undefined;
  signal?: AbortSignal | undefined;
}

/** What landed on disk: every file with its size, every directory (explicit or implied by a path). */
export interface Extracted {
  files: Map<string, number>;
  dirs: Set<string>;
  /** The top-level pack.json's bytes as written (kept when small), so the checks need not read it back. */
  packJson?: Buffer;
}

/** Files whose handles stay open from their write to their fsync (past this many, a file is opened again to sync). */
const KEPT_OPEN = 64;
/** A pack.json up to this size is kept as it streams by. */
const PACK_JSON_KEPT = 1 << 20;

const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** The destination of a checked entry path; a second guard after pack-tar's, so nothing lands outside `dir`. */
function destination(dir: string, path: string, what: string): string {
  const dest = join(dir, ...path.split('/'));
  const rel = relative(dir, dest);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ScrydonError('unsafe_path', `${what}: entry "${path}" would land outside the install directory`);
  }
  return dest;
}

/** Writes one file; returns its handle still open (to fsync once the archive has passed) and, if asked, its bytes. */
async function writeEntry(
  dest: string,
  entry: PackTarEntry,
  signal: AbortSignal | undefined,
  keep: boolean,
): Promise<{ fh: FileHandle; bytes?: Buffer }> {
  // O_EXCL + O_NOFOLLOW in a fresh directory: nothing existing (and no link) is ever written through
  const fh = await open(dest, FILE_FLAGS, 0o600);
  try {
    const kept: Buffer[] = [];
    for await (const chunk of entry.body) {
      signal?.throwIfAborted();
      if (keep) kept.push(chunk as Buffer);
      let off = 0;
      while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
    }
    // modes are normalised: executable or not, never setuid, never group/world writable
    await fh.chmod(entry.mode & 0o111 ? 0o755 : 0o644);
    return keep ? { fh, bytes: Buffer.concat(kept) } : { fh };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Streams a pack layer from `target` into the empty directory `dir` through pack-tar: regular files and
 * directories only, each file written with O_EXCL|O_NOFOLLOW. Once the whole archive has passed its
 * checks, every file and then every directory is fsynced (a refused archive costs no fsyncs).
 */
export async function extractPackLayer(
  target: ReadOnlyTarget,
  layer: Descriptor,
  dir: string,
  o: ExtractOptions,
): Promise<Extracted> {
  const out: Extracted = { files: new Map(), dirs: new Set() };
  const made = new Set<string>([dir]);
  const ensureDir = async (abs: string): Promise<void> => {
    if (made.has(abs)) return;
    await ensureDir(dirname(abs));
    await mkdir(abs, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    made.add(abs);
  };
  // the first files' handles stay open until their fsync (one open each instead of two); closed however this ends
  const kept: Array<{ path: string; fh: FileHandle }> = [];
  try {
    for await (const entry of layerEntries(target, layer, { what: o.what, limits: o.limits, signal: o.signal })) {
      const dest = destination(dir, entry.path, o.what);
      const segs = entry.path.split('/');
      for (let i = 1; i < segs.length; i++) out.dirs.add(segs.slice(0, i).join('/'));
      if (entry.type === 'directory') {
        await ensureDir(dest);
        out.dirs.add(entry.path);
        continue;
      }
      await ensureDir(dirname(dest));
      const w = await writeEntry(dest, entry, o.signal, entry.path === 'pack.json' && entry.size <= PACK_JSON_KEPT);
      if (w.bytes) out.packJson = w.bytes;
      if (kept.length < KEPT_OPEN) kept.push({ path: entry.path, fh: w.fh });
      else await w.fh.close();
      out.files.set(entry.path, entry.size);
    }
    // the whole archive passed its checks: every file, then every directory, made durable
    for (const f of kept) await f.fh.sync();
    const synced = new Set(kept.map((f) => f.path));
    for (const path of out.files.keys()) if (!synced.has(path)) await fsyncFile(destination(dir, path, o.what));
  } finally {
    for (const f of kept) await f.fh.close().catch(() => undefined);
  }
  // deepest first, so each directory's entries are durable before its parent's
  for (const d of [...made].sort((a, b) => b.length - a.length)) await fsyncDir(d);
  return out;
}

/** Total bytes of the files at `path`: the file itself, or everything under a directory. */
export function bytesAt(x: Extracted, path: string): number | undefined {
  const own = x.files.get(path);
  if (own !== undefined) return own;
  if (!x.dirs.has(path)) return undefined;
  let n = 0;
  for (const [p, size] of x.files) if (p.startsWith(`${path}/`)) n += size;
  return n;
}
