import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
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
}

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

async function writeEntry(dest: string, entry: PackTarEntry, signal: AbortSignal | undefined): Promise<void> {
  // O_EXCL + O_NOFOLLOW in a fresh directory: nothing existing (and no link) is ever written through
  const fh = await open(dest, FILE_FLAGS, 0o600);
  try {
    for await (const chunk of entry.body) {
      signal?.throwIfAborted();
      let off = 0;
      while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
    }
    // modes are normalised: executable or not, never setuid, never group/world writable
    await fh.chmod(entry.mode & 0o111 ? 0o755 : 0o644);
  } finally {
    await fh.close();
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
    await writeEntry(dest, entry, o.signal);
    out.files.set(entry.path, entry.size);
  }
  for (const path of out.files.keys()) await fsyncFile(destination(dir, path, o.what));
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
