import type { FileHandle } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';
import { ReadWindows } from './read-window.js';
import { BLOCK, decodeHeader, isZeroBlock, padded, parsePax, type EntryType } from './tar-format.js';

/** A regular file inside a tar: where its data starts and how long it is. */
export interface TarEntry {
  name: string;
  offset: number;
  size: number;
}

export interface TarIndex {
  files: Map<string, TarEntry>;
  directories: Set<string>;
}

/** pax and GNU long-name records are small; anything bigger is hostile. */
const MAX_EXTENDED_HEADER = 1 << 20;
/** A bound on entry count, so a crafted archive of millions of empty entries cannot exhaust memory. */
const MAX_ENTRIES = 1_000_000;

const REFUSED: Partial<Record<EntryType, string>> = {
  symlink: 'a symbolic link',
  hardlink: 'a hard link',
  'gnu-long-link': 'a link',
  'char-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a FIFO',
  other: 'of an unsupported type',
};

/**
 * Reads a tar's headers in one pass, seeking past file data (cheap even for GiB archives), and returns
 * name → offset/size for regular files plus the directories. Refuses links, devices, FIFOs, unknown types,
 * absolute paths, `..`, duplicates, entries that run past the end of the file, and a missing end marker.
 */
export async function indexTar(fh: FileHandle, fileSize: number, what: string): Promise<TarIndex> {
  const files = new Map<string, TarEntry>();
  const directories = new Set<string>();
  let pos = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  let count = 0;
  // headers of small entries lie a few blocks apart: read through windows, not one read per header
  const windows = new ReadWindows(fh, fileSize, (at) =>
    truncated(what, `a read at byte ${at} runs past the end of the file`),
  );

  for (;;) {
    if (pos + BLOCK > fileSize) {
      throw truncated(
        what,
        pos === fileSize ? 'the archive ends without an end-of-archive marker' : `a header at byte ${pos} is cut short`,
      );
    }
    const block = await windows.view(pos, BLOCK);
    if (isZeroBlock(block)) break;
    const dec = decodeHeader(block);
    if (!dec.ok) throw invalid(what, `${dec.why} at byte ${pos}`);
    const h = dec.header;
    const dataAt = pos + BLOCK;
    const size = pax?.has('size') ? Number(pax.get('size')) : h.size;
    if (!Number.isSafeInteger(size) || size < 0) throw invalid(what, `entry at byte ${pos} has an invalid size`);
    if (dataAt + size > fileSize)
      throw truncated(what, `entry "${h.name}" declares ${size} bytes but the file ends first`);
    pos = dataAt + padded(size);
    if (++count > MAX_ENTRIES) throw invalid(what, `more than ${MAX_ENTRIES} entries`);

    if (h.type === 'pax' || h.type === 'pax-global' || h.type === 'gnu-long-name') {
      if (size > MAX_EXTENDED_HEADER)
        throw invalid(what, `an extended header of ${size} bytes at byte ${dataAt - BLOCK}`);
      const data = await windows.view(dataAt, size);
      if (h.type === 'gnu-long-name') longName = data.toString('utf8').replace(/\0+$/, '');
      else {
        let records: Map<string, string>;
        try {
          records = parsePax(data);
        } catch {
          throw invalid(what, `malformed pax header at byte ${dataAt - BLOCK}`);
        }
        if (h.type === 'pax') pax = records;
        else if (records.has('path') || records.has('size') || records.has('linkpath')) {
          throw invalid(what, 'a global pax header that renames or resizes entries');
        }
      }
      continue;
    }

    const rawName = pax?.get('path') ?? longName ?? h.name;
    longName = undefined;
    pax = undefined;
    const refused = REFUSED[h.type];
    if (refused) {
      const target = h.linkname ? ` (to "${h.linkname}")` : '';
      throw new ScrydonError(
        'unsafe_entry',
        `${what}: entry "${rawName}" is ${refused}${target}; an archive may hold only regular files and directories`,
        {
          hint: 'this archive was not written by scrydon save or skopeo; do not load it',
        },
      );
    }
    const name = safeName(rawName, what);
    if (h.type === 'directory') {
      if (name !== '') directories.add(name);
      continue;
    }
    if (name === '' || directories.has(name)) throw invalid(what, `entry "${rawName}" is a file where a directory is`);
    if (files.has(name)) {
      throw new ScrydonError('unsafe_entry', `${what}: duplicate entry "${name}" (which copy is meant is ambiguous)`, {
        hint: 'this archive was not written by scrydon save or skopeo; do not load it',
      });
    }
    files.set(name, { name, offset: dataAt, size });
  }
  for (const d of directories) if (files.has(d)) throw invalid(what, `entry "${d}" is both a file and a directory`);
  return { files, directories };
}

/** Normalises an entry name (drops `./` and a trailing `/`); refuses absolute paths, `..`, NUL and backslashes. */
function safeName(raw: string, what: string): string {
  if (raw.startsWith('/')) throw unsafe(what, raw, 'is an absolute path');
  if (raw.includes('\0') || raw.includes('\\')) throw unsafe(what, raw, 'contains a NUL or a backslash');
  const parts = raw.split('/');
  if (parts.includes('..')) throw unsafe(what, raw, 'leaves the archive (..)');
  const kept = parts.filter((p, i) => !(p === '.' && i === 0) && !(p === '' && i === parts.length - 1));
  while (kept[0] === '.') kept.shift();
  if (kept.some((p) => p === '' || p === '.')) throw invalid(what, `entry "${raw}" has an empty or "." path component`);
  return kept.join('/');
}

function unsafe(what: string, name: string, why: string): ScrydonError {
  return new ScrydonError('unsafe_path', `${what}: entry "${name.slice(0, 200)}" ${why}`, {
    hint: 'a path-traversal attempt or a broken archive; nothing was loaded',
  });
}

function invalid(what: string, why: string): ScrydonError {
  return new ScrydonError('archive_invalid', `${what}: ${why}`, {
    hint: 'the file is not an archive written by scrydon save or skopeo',
  });
}

function truncated(what: string, why: string): ScrydonError {
  return new ScrydonError('archive_truncated', `${what} is truncated: ${why}`, {
    hint: 'the transfer was cut short; copy the archive again and compare its size or checksum',
  });
}
