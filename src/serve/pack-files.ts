import { createHash } from 'node:crypto';
import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { readPack, type PackRef } from '../pack/read.js';
import { layerEntries } from '../pack/layer-entries.js';

/** One file of a pack, with the sha256 of its content (so a diff sees edits that keep the size). */
export interface PackFile {
  path: string;
  size: number;
  mode: number;
  sha256: string;
}

export interface PackFiles {
  id: string;
  version: string;
  digest: string;
  files: PackFile[];
}

/** Streams a stored pack's layer once (through the safe tar reader, verified) and hashes every file. */
export async function packFiles(target: ReadOnlyTarget, ref: PackRef, o: IoOptions = {}): Promise<PackFiles> {
  const p = await readPack(target, ref, o);
  const where = `layer ${p.layer.digest} of ${typeof ref === 'string' ? ref : ref.digest}`;
  const files: PackFile[] = [];
  for await (const entry of layerEntries(target, p.layer, { what: where, signal: o.signal })) {
    if (entry.type !== 'file') continue;
    const h = createHash('sha256');
    for await (const chunk of entry.body) h.update(chunk);
    files.push({ path: entry.path, size: entry.size, mode: entry.mode, sha256: h.digest('hex') });
  }
  return { id: p.packJson.package.id, version: p.packJson.package.version, digest: p.descriptor.digest, files };
}

export interface FileChange {
  path: string;
  from: Omit<PackFile, 'path'>;
  to: Omit<PackFile, 'path'>;
}

export interface PackDiff {
  id: string;
  from: { version: string; digest: string };
  to: { version: string; digest: string };
  added: PackFile[];
  removed: PackFile[];
  /** Content or mode differs. */
  changed: FileChange[];
  unchanged: number;
}

const strip = ({ size, mode, sha256 }: PackFile) => ({ size, mode, sha256 });

/** Files added, removed and changed from `a` to `b`, by path (pure). Both must be versions of one pack. */
export function diffPackFiles(a: PackFiles, b: PackFiles): PackDiff {
  if (a.id !== b.id) {
    throw new ScrydonError('usage', `a diff compares two versions of one pack; these are ${a.id} and ${b.id}`);
  }
  const before = new Map(a.files.map((f) => [f.path, f]));
  const after = new Map(b.files.map((f) => [f.path, f]));
  const out: PackDiff = {
    id: a.id,
    from: { version: a.version, digest: a.digest },
    to: { version: b.version, digest: b.digest },
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
  };
  for (const f of b.files) {
    const old = before.get(f.path);
    if (!old) out.added.push(f);
    else if (old.sha256 !== f.sha256 || old.mode !== f.mode)
      out.changed.push({ path: f.path, from: strip(old), to: strip(f) });
    else out.unchanged++;
  }
  for (const f of a.files) if (!after.has(f.path)) out.removed.push(f);
  const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  out.added.sort(byPath);
  out.removed.sort(byPath);
  out.changed.sort(byPath);
  return out;
}
