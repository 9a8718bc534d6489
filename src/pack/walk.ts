import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ScrydonError } from '../errors.js';
import { IgnoreMatcher } from './ignore.js';
import { readSmallFile } from './small-file.js';

/**
 * Lists what `scrydon build` packs from a directory, in the order it packs it: every path sorted by its
 * UTF-8 bytes (so a parent directory always comes before what it holds), `.scrydonignore` applied, modes
 * normalised. Packs never contain links: a symlink to a regular file inside the pack becomes that file;
 * anything else that is not a plain file or directory is reported as unsafe.
 */
export interface PackEntry {
  /** Relative POSIX path: no `./`, no trailing `/`. */
  path: string;
  type: 'directory' | 'file';
  /** Absolute path the bytes are read from (for a symlinked file, its target). */
  source: string;
  /** Bytes of a file; 0 for a directory. */
  size: number;
  /** 0o755 for directories and files with any execute bit, else 0o644. */
  mode: 0o755 | 0o644;
}

export interface UnsafeEntry {
  path: string;
  reason: string;
}

interface WalkResult {
  /** The pack directory, symlinks resolved. */
  root: string;
  entries: PackEntry[];
  unsafe: UnsafeEntry[];
}

const IGNORE_FILE = '.scrydonignore';
/** Never packed, whatever .scrydonignore says: the ignore file itself (at the top) and VCS metadata. */
const ALWAYS_SKIPPED_NAMES: ReadonlySet<string> = new Set(['.git']);
const MAX_PACK_ENTRIES = 10_000;
const MAX_IGNORE_FILE_BYTES = 64 * 1024;

export async function walkPackDir(dir: string, o: { signal?: AbortSignal | undefined } = {}): Promise<WalkResult> {
  const root = await packRoot(dir);
  const ignore = await loadIgnore(root);
  const entries: PackEntry[] = [];
  const unsafe: UnsafeEntry[] = [];

  async function visit(relDir: string): Promise<void> {
    o.signal?.throwIfAborted();
    const names = (await readdir(relDir ? join(root, relDir) : root)).sort();
    for (const name of names) {
      const rel = relDir ? `${relDir}/${name}` : name;
      if (ALWAYS_SKIPPED_NAMES.has(name) || rel === IGNORE_FILE) continue;
      const abs = join(root, rel);
      // eslint-disable-next-line no-control-regex -- names with control characters are what this refuses
      if (/[\u0000-\u001f\u007f\\]/u.test(name) || name.includes('\uFFFD')) {
        unsafe.push({
          path: rel,
          reason: 'has a name with a control character, a backslash or bytes that are not UTF-8',
        });
        continue;
      }
      const st = await lstat(abs);
      if (ignore.ignores(rel, st.isDirectory())) continue;
      if (st.isDirectory()) {
        add({ path: rel, type: 'directory', source: abs, size: 0, mode: 0o755 });
        await visit(rel);
      } else if (st.isFile()) {
        add({ path: rel, type: 'file', source: abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
      } else if (st.isSymbolicLink()) {
        const target = await resolveLink(root, abs);
        if ('reason' in target) unsafe.push({ path: rel, reason: target.reason });
        else add({ path: rel, type: 'file', source: target.source, size: target.size, mode: target.mode });
      } else {
        unsafe.push({ path: rel, reason: `is a ${specialKind(st)}; a pack holds only regular files and directories` });
      }
    }
  }

  function add(e: PackEntry): void {
    if (entries.length >= MAX_PACK_ENTRIES) {
      throw new ScrydonError('size_limit_exceeded', `${dir}: more than ${MAX_PACK_ENTRIES} files and directories`, {
        hint: 'exclude what the pack does not need with .scrydonignore',
      });
    }
    entries.push(e);
  }

  await visit('');
  // directories holding no file are left out, as git leaves them out: a pack built from a working tree has the
  // bytes of one packed from a checkout of it (reconcile's git-tar)
  const needed = new Set<string>();
  for (const e of entries) {
    if (e.type !== 'file') continue;
    for (let i = e.path.indexOf('/'); i !== -1; i = e.path.indexOf('/', i + 1)) needed.add(e.path.slice(0, i));
  }
  const kept = entries.filter((e) => e.type === 'file' || needed.has(e.path));
  entries.length = 0;
  entries.push(...kept);
  entries.sort((a, b) => byteCompare(a.path, b.path));
  unsafe.push(...caseCollisions(entries));
  unsafe.sort((a, b) => byteCompare(a.path, b.path));
  return { root, entries, unsafe };
}

async function packRoot(dir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ScrydonError('not_found', `pack directory ${dir} does not exist`, {
        hint: 'give the directory that holds pack.json',
      });
    }
    throw e;
  }
  if (!(await stat(root)).isDirectory()) {
    throw new ScrydonError('usage', `${dir} is not a directory`, { hint: 'give the directory that holds pack.json' });
  }
  return root;
}

async function loadIgnore(root: string): Promise<IgnoreMatcher> {
  const file = join(root, IGNORE_FILE);
  let st;
  try {
    st = await lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return IgnoreMatcher.none;
    throw e;
  }
  if (!st.isFile())
    throw new ScrydonError('unsafe_entry', `${file} is not a regular file`, {
      hint: 'make .scrydonignore a plain text file',
    });
  return IgnoreMatcher.parse((await readSmallFile(file, MAX_IGNORE_FILE_BYTES, IGNORE_FILE)).toString('utf8'));
}

type LinkTarget = { source: string; size: number; mode: 0o755 | 0o644 } | { reason: string };

async function resolveLink(root: string, abs: string): Promise<LinkTarget> {
  let target: string;
  try {
    target = await realpath(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { reason: 'is a dangling symbolic link (its target does not exist)' };
    if (code === 'ELOOP') return { reason: 'is a symbolic link loop' };
    throw e;
  }
  const inside = relative(root, target);
  if (inside.startsWith('..' + sep) || inside === '..' || inside.startsWith(sep) || /^[A-Za-z]:/.test(inside)) {
    return { reason: `is a symbolic link to ${target}, outside the pack directory` };
  }
  const st = await stat(target);
  if (st.isDirectory())
    return { reason: 'is a symbolic link to a directory; packs hold no links (copy the directory instead)' };
  if (!st.isFile()) return { reason: `is a symbolic link to a ${specialKind(st)}` };
  return { source: target, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 };
}

function specialKind(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (st.isFIFO()) return 'named pipe (FIFO)';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice()) return 'block device';
  if (st.isCharacterDevice()) return 'character device';
  return 'special file';
}

/** Paths equal once case-folded (ontology/A.json and ontology/a.json) would overwrite each other on macOS and Windows. */
function caseCollisions(entries: readonly PackEntry[]): UnsafeEntry[] {
  const seen = new Map<string, string>();
  const out: UnsafeEntry[] = [];
  for (const e of entries) {
    const folded = e.path.normalize('NFC').toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined)
      out.push({
        path: e.path,
        reason: `has the same name as ${first} when case is ignored (they would collide on macOS and Windows)`,
      });
    else seen.set(folded, e.path);
  }
  return out;
}

/** Orders paths by their UTF-8 bytes (locale-independent). */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
