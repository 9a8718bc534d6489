import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonText, sortProblems, toPointer, type Locator, type Problem } from '../config/locate.js';
import { INTEGRATION_BUNDLE_MAX_BYTES, PACK_JSON_MAX_BYTES, type PackJson } from './pack-json.js';
import { readSmallFile } from './small-file.js';
import { checkPackJson } from './validate.js';
import { walkPackDir, type PackEntry, type UnsafeEntry } from './walk.js';

/**
 * A pack directory as `scrydon build` sees it: the walk, pack.json read once (those exact bytes are what
 * gets packed and what becomes the manifest's config), its problems, and the checks of contents[] against
 * the files: every path exists, an integration is a gzip bundle file of at most 8 MiB.
 */
interface PackDir {
  /** The directory, symlinks resolved. */
  root: string;
  /** pack.json's path, for messages. */
  packJsonFile: string;
  entries: PackEntry[];
  unsafe: UnsafeEntry[];
  /** pack.json problems (schema, rules, contents vs. files), with lines in pack.json. */
  problems: Problem[];
  /** Integration bundles over the limit (reported apart: build fails them with size_limit_exceeded). */
  oversize: Problem[];
  packJson: PackJson | undefined;
  packJsonBytes: Buffer | undefined;
}

export const PACK_JSON = 'pack.json';

export async function loadPackDir(dir: string, o: { signal?: AbortSignal | undefined } = {}): Promise<PackDir> {
  const walk = await walkPackDir(dir, o);
  const packJsonFile = join(dir, PACK_JSON);
  const base = { root: walk.root, packJsonFile, entries: walk.entries, unsafe: walk.unsafe, oversize: [] as Problem[] };
  const entry = walk.entries.find((e) => e.path === PACK_JSON);
  if (!entry || entry.type !== 'file') {
    const why = walk.unsafe.some((u) => u.path === PACK_JSON)
      ? 'is not a regular file'
      : 'is missing (or excluded by .scrydonignore)';
    return {
      ...base,
      problems: [{ path: '', message: `pack.json ${why}` }],
      packJson: undefined,
      packJsonBytes: undefined,
    };
  }
  const bytes = await readSmallFile(entry.source, PACK_JSON_MAX_BYTES, PACK_JSON);
  const parsed = parseJsonText(bytes.toString('utf8'));
  if (parsed.problems.length > 0)
    return { ...base, problems: parsed.problems, packJson: undefined, packJsonBytes: bytes };
  const problems = checkPackJson(parsed.value, parsed.locate);
  if (problems.length > 0) return { ...base, problems, packJson: undefined, packJsonBytes: bytes };
  const packJson = parsed.value as PackJson;
  const files = await contentProblems(packJson, walk.entries, parsed.locate);
  return { ...base, ...files, packJson: files.problems.length === 0 ? packJson : undefined, packJsonBytes: bytes };
}

async function contentProblems(
  pack: PackJson,
  entries: readonly PackEntry[],
  locate: Locator,
): Promise<{ problems: Problem[]; oversize: Problem[] }> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const problems: Problem[] = [];
  const oversize: Problem[] = [];
  const at = (list: Problem[], i: number, message: string): void => {
    const path = toPointer(['contents', i, 'path']);
    const line = locate(path);
    list.push({ path, ...(line !== undefined ? { line } : {}), message });
  };
  for (const [i, c] of pack.contents.entries()) {
    const e = byPath.get(c.path);
    if (!e) {
      at(
        problems,
        i,
        `${c.path} does not exist in the pack directory, holds no file (empty directories are not packed), or is excluded by .scrydonignore`,
      );
      continue;
    }
    if (c.kind !== 'integration') continue;
    if (e.type !== 'file') {
      at(problems, i, `${c.path} is a directory; an integration is a .tar.gz bundle file`);
    } else if (e.size > INTEGRATION_BUNDLE_MAX_BYTES) {
      at(
        oversize,
        i,
        `integration bundle ${c.path} is ${e.size} bytes, over the ${INTEGRATION_BUNDLE_MAX_BYTES}-byte (8 MiB) limit`,
      );
    } else if (!(await isGzip(e.source))) {
      at(problems, i, `${c.path} is not a gzip file; an integration is a .tar.gz bundle`);
    }
  }
  return { problems: sortProblems(problems), oversize };
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
