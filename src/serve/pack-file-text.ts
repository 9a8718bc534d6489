import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { layerEntries } from '../pack/layer-entries.js';
import { readPack, type PackRef } from '../pack/read.js';

/**
 * One file of a stored pack as the page's file viewer shows it (`GET /api/file`). The path is looked up among the
 * layer's entries by name: nothing on disk is opened by it, and a path that cannot be a pack path (`..`, absolute,
 * a control character) is refused before the store is read. The layer is read to its end, so its digest is
 * checked before any of it is answered.
 */
interface PackFileText {
  id: string;
  version: string;
  digest: string;
  path: string;
  size: number;
  mode: number;
  /** Not valid UTF-8, or holds a NUL byte: no text is given. */
  binary: boolean;
  /** Larger than MAX_TEXT_BYTES: no text is given. */
  tooLarge: boolean;
  text: string | null;
}

const MAX_TEXT_BYTES = 1024 * 1024;
const MAX_PATH = 1024;

/** Refuses what cannot name a file in a pack (usage), so a hostile path never reaches the reader. */
export function checkPackPath(path: string): void {
  const bad =
    path.length === 0 ||
    path.length > MAX_PATH ||
    path.startsWith('/') ||
    path.includes('\\') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(path) ||
    path.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad)
    throw new ScrydonError('usage', `"${path.slice(0, 200)}" is not a path inside a pack`, {
      hint: 'paths are relative, separated by /, without . or .. segments (as /api/pack lists them)',
    });
}

function asText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** `path` of the pack `ref` names, as text when it is text of at most MAX_TEXT_BYTES; null when it has no such file. */
export async function readPackFileText(
  target: ReadOnlyTarget,
  ref: PackRef,
  path: string,
  o: IoOptions = {},
): Promise<PackFileText | null> {
  checkPackPath(path);
  const p = await readPack(target, ref, o);
  const what = `layer ${p.layer.digest} of ${typeof ref === 'string' ? ref : ref.digest}`;
  let found: { size: number; mode: number; bytes: Buffer | null } | undefined;
  for await (const entry of layerEntries(target, p.layer, { what, signal: o.signal })) {
    if (entry.type !== 'file' || entry.path !== path || found) continue;
    // a small file, capped, is read whole (as manifests are): the page shows it as one text
    const chunks: Buffer[] = [];
    if (entry.size <= MAX_TEXT_BYTES) for await (const c of entry.body) chunks.push(c);
    found = { size: entry.size, mode: entry.mode, bytes: entry.size <= MAX_TEXT_BYTES ? Buffer.concat(chunks) : null };
  }
  const base = { id: p.packJson.package.id, version: p.packJson.package.version, digest: p.descriptor.digest, path };
  if (!found) return null;
  const text = found.bytes ? asText(found.bytes) : null;
  return {
    ...base,
    size: found.size,
    mode: found.mode,
    binary: found.bytes !== null && text === null,
    tooLarge: found.bytes === null,
    text,
  };
}
