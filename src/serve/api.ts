import type { HomePaths } from '../config/paths.js';
import { isScrydonError, ScrydonError, type ErrorCode } from '../errors.js';
import { listInstalled } from '../install/uninstall.js';
import { inspectArtifact } from '../pack/inspect.js';
import { listSources, readRuns } from '../reconcile/history.js';
import { isSourceName } from '../sources/source-name.js';
import type { Store } from '../store/store-target.js';
import { catalogData, lastRunByDigest } from './catalog-data.js';
import { sendJson, type Exchange } from './http.js';
import { servedName } from '../names/served.js';
import { diffPackFiles, packFiles } from './pack-files.js';
import { signatureStatus } from './signature-status.js';
import type { IndexSnapshots } from './snapshot.js';

interface ApiContext {
  store: Store;
  paths: HomePaths;
  /** The install root whose state the page shows. */
  installRoot: string;
  snapshots: IndexSnapshots;
}

/** What `GET /api/` lists: the JSON the page is built from, for scripts too. */
const API_ENDPOINTS: Readonly<Record<string, string>> = {
  '/api/packs':
    'packs by id with versions, digest, size, created, signature status and install state; other tagged artifacts',
  '/api/pack?ref=REF': 'one artifact: descriptors, pack.json, file list, referrers, signature status',
  '/api/diff?from=REF&to=REF': 'files added, removed and changed between two versions of one pack',
  '/api/installed': 'the install root: installed packs with status',
  '/api/runs[?source=NAME][&limit=N]': 'reconcile run history per source, newest first',
  '/api/tags': 'how store tags are served: repository and tag of each',
};

const DEFAULT_RUNS = 20;
const MAX_RUNS = 1000;

function param(x: Exchange, name: string): string {
  const v = x.url.searchParams.get(name);
  if (v === null || v === '')
    throw new ScrydonError('usage', `missing query parameter ${name}`, { hint: `see GET /api/ for the endpoints` });
  return v;
}

async function runs(x: Exchange, c: ApiContext): Promise<unknown> {
  const limitRaw = x.url.searchParams.get('limit');
  const limit = limitRaw === null ? DEFAULT_RUNS : Number(limitRaw);
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new ScrydonError('usage', `limit=${limitRaw ?? ''} is not a non-negative integer`);
  const one = x.url.searchParams.get('source');
  if (one !== null && !isSourceName(one))
    throw new ScrydonError('usage', `"${one.slice(0, 100)}" is not a source name`);
  const sources = one !== null ? [one] : await listSources(c.paths);
  const out = [];
  for (const source of sources)
    out.push({ source, runs: await readRuns(c.paths, source, { limit: Math.min(limit, MAX_RUNS) }) });
  return { sources: out };
}

async function pack(x: Exchange, c: ApiContext): Promise<unknown> {
  const ref = param(x, 'ref');
  const result = await inspectArtifact(c.store, ref, { signal: x.signal });
  const d = { mediaType: result.mediaType, digest: result.digest as `sha256:${string}`, size: result.manifestSize };
  const lastRun = (await lastRunByDigest(c.paths)).get(result.digest);
  const installed = result.pack
    ? ((await listInstalled(c.installRoot)).find((r) => r.id === result.pack?.packJson.package.id) ?? null)
    : null;
  const name = servedName(ref);
  return { ...result, served: name ?? null, signature: await signatureStatus(c.store, d, lastRun), installed };
}

async function diff(x: Exchange, c: ApiContext): Promise<unknown> {
  const from = param(x, 'from');
  const to = param(x, 'to');
  const [a, b] = await Promise.all([
    packFiles(c.store, from, { signal: x.signal }),
    packFiles(c.store, to, { signal: x.signal }),
  ]);
  return { fromRef: from, toRef: to, ...diffPackFiles(a, b) };
}

async function tags(c: ApiContext): Promise<unknown> {
  const s = await c.snapshots.get();
  return {
    tags: s.tags.map(({ ref, repository, tag, descriptor }) => ({ ref, repository, tag, digest: descriptor.digest })),
    unserved: s.unserved,
  };
}

function statusOf(code: ErrorCode): number {
  if (code === 'not_found') return 404;
  if (code === 'usage' || code === 'invalid_reference' || code === 'unsupported_media_type') return 400;
  return 500;
}

/** Answers GET/HEAD under /api/. Errors are `{error: {code, message, hint}}` with scrydon's stable codes. */
export async function handleApi(x: Exchange, c: ApiContext): Promise<void> {
  try {
    const path = x.url.pathname.replace(/\/+$/, '');
    let data: unknown;
    if (path === '/api') data = { endpoints: API_ENDPOINTS };
    else if (path === '/api/packs') data = await catalogData(c.store, c.paths, c.installRoot);
    else if (path === '/api/pack') data = await pack(x, c);
    else if (path === '/api/diff') data = await diff(x, c);
    else if (path === '/api/installed') data = { installed: await listInstalled(c.installRoot) };
    else if (path === '/api/runs') data = await runs(x, c);
    else if (path === '/api/tags') data = await tags(c);
    else
      throw new ScrydonError('not_found', `${x.url.pathname.slice(0, 200)} is not an API endpoint`, {
        hint: 'GET /api/ lists them',
      });
    sendJson(x, 200, data, { 'cache-control': 'no-store' });
  } catch (e) {
    if (x.res.headersSent) throw e;
    const err = isScrydonError(e) ? e : new ScrydonError('internal', e instanceof Error ? e.message : String(e));
    sendJson(x, statusOf(err.code), {
      error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
    });
  }
}
