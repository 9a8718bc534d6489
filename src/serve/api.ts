import { isScrydonError, ScrydonError, type ErrorCode } from '../errors.js';
import { listInstalled } from '../install/uninstall.js';
import { listSources, readRuns } from '../reconcile/history.js';
import { isSourceName } from '../sources/source-name.js';
import { artifacts, deps, diff, file, fileDiff, pack, type ApiContext as PackApiContext } from './api-pack.js';
import { catalogData } from './catalog-data.js';
import { sendJson, type Exchange } from './http.js';
import type { IndexSnapshots } from './snapshot.js';
import { sourceStatuses } from './source-status.js';

interface ApiContext extends PackApiContext {
  snapshots: IndexSnapshots;
}

/** What `GET /api/` lists: the JSON the page is built from, for scripts too. */
const API_ENDPOINTS: Readonly<Record<string, string>> = {
  '/api/artifacts[?q=TEXT][&id=ID][&version=V][&source=NAME][&status=STATE][&signed=yes|no][&offset=N][&limit=N]':
    'one row per stored artifact (digest) with its tags, pull name, source, install state and signature; filtered and paged',
  '/api/packs':
    'packs by id with versions, digest, size, created, signature status and install state; other tagged artifacts',
  '/api/pack?ref=REF':
    'one artifact: descriptors, pack.json, file list, referrers, tags, versions, signature details, install state',
  '/api/deps?ref=REF': 'what a pack depends on, what depends on it, and its transitive dependency graph',
  '/api/file?ref=REF&path=PATH': 'one file of a pack, as text when it is text (up to 1 MiB)',
  '/api/diff?from=REF&to=REF': 'files added, removed and changed between two versions of one pack',
  '/api/file-diff?from=REF&to=REF&path=PATH': 'a line diff of one file between two versions of one pack',
  '/api/installed': 'the install root: installed packs with status',
  '/api/runs[?source=NAME][&limit=N]': 'reconcile run history per source, newest first',
  '/api/sources': 'each source: last run, outcome, backoff state and next run',
  '/api/tags': 'how store tags are served: repository and tag of each',
};

const DEFAULT_RUNS = 20;
const MAX_RUNS = 1000;

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
    else if (path === '/api/artifacts') data = await artifacts(x, c);
    else if (path === '/api/packs') data = await catalogData(c.views.store, c.paths, c.installRoot);
    else if (path === '/api/pack') data = await pack(x, c);
    else if (path === '/api/deps') data = await deps(x, c);
    else if (path === '/api/file') data = await file(x, c);
    else if (path === '/api/diff') data = await diff(x, c);
    else if (path === '/api/file-diff') data = await fileDiff(x, c);
    else if (path === '/api/sources') data = { sources: await sourceStatuses(c.paths) };
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
