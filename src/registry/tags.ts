import { overLimit, limitsWith } from '../content/limits.js';
import { ScrydonError } from '../errors.js';
import { isTag } from '../oci/reference.js';
import { scopesOf, type RepoRef } from './manifests.js';
import { readSmallBody, responseError } from './registry-error.js';
import { nextLink } from './transport/http.js';

const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const PAGE_SIZE = 1000;

/**
 * Every tag of a repository, following the `Link: <…>; rel="next"` pagination of the distribution spec. A
 * registry that pages without end, or lists more tags than the limits allow (r.walkLimits: `tags`, `listPages`),
 * gets size_limit_exceeded; one that lists something that is not a tag, registry_error.
 */
export async function listTags(r: RepoRef): Promise<string[]> {
  const what = `listing tags of ${r.name}`;
  const limits = limitsWith(r.walkLimits);
  let url: URL = r.client.url(`/v2/${r.repository}/tags/list?n=${PAGE_SIZE}`);
  const out: string[] = [];
  for (let page = 0; ; page++) {
    if (page >= limits.listPages) throw overLimit('listPages', limits.listPages, what);
    const res = await r.client.send({
      method: 'GET',
      url,
      repository: r.repository,
      scopes: scopesOf(r),
      signal: r.signal,
      what,
    });
    if (res.status === 404 && page === 0) {
      res.body.resume();
      return [];
    }
    if (res.status !== 200) throw await responseError(res, { what, registry: r.client.registry, code: 'fetch_failed' });
    const body = await readSmallBody(res, MAX_PAGE_BYTES, what);
    let v: { tags?: unknown };
    try {
      v = JSON.parse(body.toString('utf8')) as { tags?: unknown };
    } catch {
      throw new ScrydonError('registry_error', `${what}: the answer is not JSON`);
    }
    if (v.tags !== null && v.tags !== undefined && !Array.isArray(v.tags))
      throw new ScrydonError('registry_error', `${what}: "tags" is not a list`);
    for (const t of (v.tags as unknown[] | null | undefined) ?? []) {
      if (typeof t !== 'string' || !isTag(t))
        throw new ScrydonError('registry_error', `${what}: "${String(t).slice(0, 80)}" is not a tag`);
      if (out.length >= limits.tags) throw overLimit('tags', limits.tags, what);
      out.push(t);
    }
    const next = nextLink(res);
    if (!next) return out;
    if (next.origin !== url.origin)
      throw new ScrydonError('registry_error', `${what}: refusing a next page on another origin`);
    url = next;
  }
}
