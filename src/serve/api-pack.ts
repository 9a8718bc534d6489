import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { listInstalled } from '../install/uninstall.js';
import { servedName } from '../names/served.js';
import { inspectArtifact } from '../pack/inspect.js';
import { resolveName } from '../pack/resolve-name.js';
import { sourceOfStored } from '../reconcile/pack-sources.js';
import { artifactRows, filterRows, isSigned, parseArtifactQuery, type ArtifactRow } from './artifact-rows.js';
import { lastRunByDigest } from './catalog-data.js';
import type { Exchange } from './http.js';
import { lineDiff } from './line-diff.js';
import { packDependencies } from './pack-deps.js';
import { readPackFileText } from './pack-file-text.js';
import { diffPackFiles, packFiles } from './pack-files.js';
import { signatureStatus, type SignatureStatus } from './signature-status.js';
import { allAttestationReceipts } from '../signature/carried-receipts.js';
import type { StoreViews } from './store-views.js';

/** The page's endpoints over stored artifacts: the list, one artifact, its dependencies, its files and diffs. */
export interface ApiContext {
  views: StoreViews;
  paths: HomePaths;
  /** The install root whose state the page shows. */
  installRoot: string;
}

/** Signature statuses read at once when the `signed` filter needs every row's. */
const STATUS_PARALLEL = 8;

function param(x: Exchange, name: string): string {
  const v = x.url.searchParams.get(name);
  if (v === null || v === '')
    throw new ScrydonError('usage', `missing query parameter ${name}`, { hint: `see GET /api/ for the endpoints` });
  return v;
}

/** The store name `ref` stands for (a tag, a digest, or `ID:VERSION` as `ls` shows it). */
async function resolved(x: Exchange, c: ApiContext, name: string): Promise<{ ref: string; digest: string }> {
  return resolveName(c.views.store, param(x, name), { signal: x.signal });
}

async function rowsOf(c: ApiContext): Promise<ArtifactRow[]> {
  const [entries, installed, sourceOf] = await Promise.all([
    c.views.entries(),
    listInstalled(c.installRoot),
    sourceOfStored(c.paths),
  ]);
  return artifactRows(entries, installed, sourceOf);
}

async function statusesOf(c: ApiContext, rows: readonly ArtifactRow[]): Promise<Map<string, SignatureStatus>> {
  const runs = await lastRunByDigest(c.paths);
  const out = new Map<string, SignatureStatus>();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const { digest, mediaType } = rows[i] as ArtifactRow;
      const d = { mediaType, digest: digest as Descriptor['digest'], size: 0 };
      const count = (x: Descriptor) => c.views.signatureCount(x);
      out.set(digest, await signatureStatus(c.views.store, d, { lastRun: runs.get(digest), count }));
    }
  };
  await Promise.all(Array.from({ length: STATUS_PARALLEL }, worker));
  return out;
}

/** `GET /api/artifacts`: one row per digest, filtered and paged on the server (artifact-rows.ts). */
export async function artifacts(x: Exchange, c: ApiContext): Promise<unknown> {
  const q = parseArtifactQuery(x.url.searchParams);
  const all = await rowsOf(c);
  let rows = filterRows(all, q);
  let statuses: Map<string, SignatureStatus> | undefined;
  if (q.signed !== undefined) {
    statuses = await statusesOf(c, rows);
    rows = rows.filter((r) => isSigned(statuses?.get(r.digest)) === q.signed);
  }
  const page = rows.slice(q.offset, q.offset + q.limit);
  if (!statuses) statuses = await statusesOf(c, page);
  return {
    total: rows.length,
    offset: q.offset,
    limit: q.limit,
    rows: page.map((r) => ({ ...r, signature: statuses.get(r.digest) })),
    sources: [...new Set(all.map((r) => r.source))].sort(),
    installStates: [...new Set(all.map((r) => r.install))].sort(),
  };
}

/** `GET /api/pack`: inspect's data plus the names, signature details, install state and the id's other versions. */
export async function pack(x: Exchange, c: ApiContext): Promise<unknown> {
  const { ref } = await resolved(x, c, 'ref');
  const result = await inspectArtifact(c.views.store, ref, { signal: x.signal });
  const d = { mediaType: result.mediaType, digest: result.digest as Descriptor['digest'], size: result.manifestSize };
  const lastRun = (await lastRunByDigest(c.paths)).get(result.digest);
  const id = result.pack?.packJson.package.id;
  const installed = id ? ((await listInstalled(c.installRoot)).find((r) => r.id === id) ?? null) : null;
  const rows = await rowsOf(c);
  const row = rows.find((r) => r.digest === result.digest);
  const versions = id
    ? rows.filter((r) => r.id === id).map((r) => ({ version: r.version, pullAs: r.pullAs, digest: r.digest }))
    : [];
  return {
    ...result,
    served: servedName(ref) ?? null,
    pullAs: row?.pullAs ?? ref,
    tags: row?.tags ?? [],
    source: row?.source ?? null,
    versions,
    signature: await signatureStatus(c.views.store, d, { lastRun, details: true }),
    attestationReceipts: await allAttestationReceipts(c.views.store.paths.root, result.digest),
    installed,
  };
}

export async function deps(x: Exchange, c: ApiContext): Promise<unknown> {
  const { digest } = await resolved(x, c, 'ref');
  return packDependencies(c.views, digest);
}

export async function file(x: Exchange, c: ApiContext): Promise<unknown> {
  const path = param(x, 'path');
  const { ref } = await resolved(x, c, 'ref');
  const f = await readPackFileText(c.views.store, ref, path, { signal: x.signal });
  if (!f)
    throw new ScrydonError('not_found', `${ref} has no file ${path.slice(0, 200)}`, {
      hint: 'the pack detail lists its files',
    });
  return f;
}

/** `GET /api/diff`: files added, removed and changed between two versions of one pack. */
export async function diff(x: Exchange, c: ApiContext): Promise<unknown> {
  const [from, to] = [param(x, 'from'), param(x, 'to')];
  const [a, b] = await Promise.all([resolved(x, c, 'from'), resolved(x, c, 'to')]);
  const o = { signal: x.signal };
  const [fa, fb] = await Promise.all([packFiles(c.views.store, a.ref, o), packFiles(c.views.store, b.ref, o)]);
  return { fromRef: from, toRef: to, ...diffPackFiles(fa, fb) };
}

/** `GET /api/file-diff`: a line diff of one file between two versions of one pack. */
export async function fileDiff(x: Exchange, c: ApiContext): Promise<unknown> {
  const path = param(x, 'path');
  const [a, b] = await Promise.all([resolved(x, c, 'from'), resolved(x, c, 'to')]);
  const o = { signal: x.signal };
  const [fa, fb] = await Promise.all([
    readPackFileText(c.views.store, a.ref, path, o),
    readPackFileText(c.views.store, b.ref, path, o),
  ]);
  const one = fa ?? fb;
  if (!one) throw new ScrydonError('not_found', `neither version has a file ${path.slice(0, 200)}`);
  if (fa && fb && fa.id !== fb.id)
    throw new ScrydonError('usage', `a diff compares two versions of one pack; these are ${fa.id} and ${fb.id}`);
  const unreadable = [fa, fb].some((f) => f && f.text === null);
  const base = { path, from: fa ? fa.digest : null, to: fb ? fb.digest : null };
  if (unreadable)
    return {
      ...base,
      binary: [fa, fb].some((f) => f?.binary),
      tooLarge: [fa, fb].some((f) => f?.tooLarge),
      diff: null,
    };
  return { ...base, binary: false, tooLarge: false, diff: lineDiff(fa?.text ?? '', fb?.text ?? '') };
}
