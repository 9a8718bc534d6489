import type { HomePaths } from '../config/paths.js';
import { gitStoreRepository } from '../names/sources.js';
import { readSourceList } from '../sources/sources-file.js';
import { readLockFile } from './lock-file.js';

/**
 * Which registered source a stored artifact came from (`ls --filter source=…`): the source whose last successful
 * run locked its digest (a pack or the catalog), or the git source whose store repository names it
 * (`scrydon.sources/git-<hash of its URL>/…`); `local` for everything else (built, loaded, pulled, tagged).
 */
export async function sourceOfStored(paths: HomePaths): Promise<(digest: string, tags: readonly string[]) => string> {
  const { sources } = await readSourceList(paths.sources);
  const byDigest = new Map<string, string>();
  const repos: Array<[string, string]> = [];
  for (const s of sources) {
    if (s.type === 'git') repos.push([gitStoreRepository(s.url), s.name]);
    const lock = await readLockFile(paths, s.name).catch(() => undefined);
    if (!lock) continue;
    byDigest.set(lock.catalogDigest, s.name);
    for (const p of lock.packs) byDigest.set(p.digest, s.name);
  }
  const inRepo = (tag: string, repo: string): boolean =>
    tag.startsWith(repo) && (tag[repo.length] === '/' || tag[repo.length] === ':');
  return (digest, tags) =>
    byDigest.get(digest) ?? repos.find(([repo]) => tags.some((t) => inRepo(t, repo)))?.[1] ?? 'local';
}
