import { join } from 'node:path';
import { readDerived, writeDerived } from './derived-file.js';
import type { LayoutPaths } from './layout.js';

/**
 * What `ls` shows, for one index.json: per tag, in `ls` order, the tag's descriptor and what its manifest says (pack
 * id and version, artifact type, created, bytes of its direct children). It is keyed by the sha256 of index.json's
 * bytes: while index.json is unchanged, `ls` prints it without parsing index.json or opening a manifest. When
 * index.json changed (a tag, an rm, skopeo or umoci rewriting it) the rows still say what each manifest digest shows
 * (content never changes under its digest), so only manifests the view lacks are read. Derived and rebuildable
 * (derived-file.ts: checksummed, read as empty when missing or damaged, replaced atomically); one flat array, media
 * types as numbers into a table.
 */
export interface ListRow {
  ref: string;
  digest: string;
  mediaType: string;
  /** The manifest's own size (index.json's descriptor) and its direct children's. */
  size: number;
  childBytes: number;
  artifactType: string | null;
  id: string | null;
  version: string | null;
  created: string | null;
}

export interface ListView {
  /** sha256 (hex) of the index.json these rows are every tag of; null: rows only to reuse by digest. */
  index: string | null;
  rows: ListRow[];
}

interface CacheFile {
  v: 1;
  index: string | null;
  types: string[];
  /** Per row: ref, digest, media type, size, child bytes, artifact type (index or null), id, version, created. */
  rows: Array<string | number | null>;
}

const FILE = 'scrydon-ls-cache.json';
const WIDTH = 9;

export async function readListView(paths: LayoutPaths): Promise<ListView> {
  return decode(await readDerived(join(paths.root, FILE)));
}

/** Best effort: a store that cannot be written is listed the long way next time. */
export async function writeListView(paths: LayoutPaths, view: ListView): Promise<void> {
  await writeDerived(join(paths.root, FILE), encode(view));
}

function encode(view: ListView): CacheFile {
  const types: string[] = [];
  const typeIndex = new Map<string, number>();
  const type = (t: string): number => {
    let i = typeIndex.get(t);
    if (i === undefined) {
      i = types.push(t) - 1;
      typeIndex.set(t, i);
    }
    return i;
  };
  const flat: CacheFile['rows'] = [];
  for (const r of view.rows) {
    const artifactType = r.artifactType === null ? null : type(r.artifactType);
    flat.push(r.ref, r.digest, type(r.mediaType), r.size, r.childBytes, artifactType, r.id, r.version, r.created);
  }
  return { v: 1, index: view.index, types, rows: flat };
}

const EMPTY: ListView = { index: null, rows: [] };
const stringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function decode(file: unknown): ListView {
  const f = file as Partial<CacheFile> | undefined;
  if (
    f?.v !== 1 ||
    !stringOrNull(f.index) ||
    !Array.isArray(f.types) ||
    !Array.isArray(f.rows) ||
    f.rows.length % WIDTH !== 0
  )
    return EMPTY;
  const { types, rows: flat } = f;
  const rows: ListRow[] = [];
  for (let i = 0; i < flat.length; i += WIDTH) {
    const ref = flat[i];
    const digest = flat[i + 1];
    const mediaType = types[flat[i + 2] as number];
    const size = flat[i + 3];
    const childBytes = flat[i + 4];
    const artifactType = flat[i + 5] === null ? null : types[flat[i + 5] as number];
    const id = flat[i + 6];
    const version = flat[i + 7];
    const created = flat[i + 8];
    if (
      typeof ref !== 'string' ||
      typeof digest !== 'string' ||
      typeof mediaType !== 'string' ||
      typeof size !== 'number' ||
      typeof childBytes !== 'number' ||
      !stringOrNull(artifactType) ||
      !stringOrNull(id) ||
      !stringOrNull(version) ||
      !stringOrNull(created)
    )
      return EMPTY;
    rows.push({ ref, digest, mediaType, size, childBytes, artifactType, id, version, created });
  }
  return { index: f.index, rows };
}
