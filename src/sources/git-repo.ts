import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import type { GitAccess } from './git-access.js';
import { runGit } from './git-run.js';

/**
 * A git source's local cache: a bare repository under `$SCRYDON_HOME/cache/git/<hash of the URL>`, filled by
 * shallow fetches of exactly the refs a run needs. Reading a file or a tree at a commit is then local.
 * Operations on one cache are serialised (they share refs and the shallow file).
 */
const COMMIT = /^[0-9a-f]{40}$/;
const FETCHED_REF = 'refs/scrydon/fetched';

export function isCommitId(ref: string): boolean {
  return COMMIT.test(ref);
}

/** Picks the commit `ref` names from `git ls-remote` output: a branch first, then a tag (peeled), then an exact ref name. */
export function pickRemoteRef(lsRemote: string, ref: string): string | undefined {
  const refs = new Map<string, string>();
  for (const line of lsRemote.split('\n')) {
    const [sha, name] = line.trim().split('\t');
    if (sha && name && COMMIT.test(sha)) refs.set(name, sha);
  }
  for (const name of [`refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`, ref]) {
    const sha = refs.get(name);
    if (sha) return sha;
  }
  return undefined;
}

function gitCacheDir(cacheRoot: string, url: string): string {
  return join(cacheRoot, createHash('sha256').update(url).digest('hex').slice(0, 32));
}

export class GitRepo {
  readonly dir: string;
  readonly url: string;
  readonly #access: GitAccess;
  readonly #signal: AbortSignal | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, url: string, access: GitAccess, signal: AbortSignal | undefined) {
    this.dir = dir;
    this.url = url;
    this.#access = access;
    this.#signal = signal;
  }

  /** Opens (creating if needed) the cache of `url` in `cacheRoot`. */
  static async open(cacheRoot: string, url: string, access: GitAccess, signal?: AbortSignal): Promise<GitRepo> {
    const dir = gitCacheDir(cacheRoot, url);
    const repo = new GitRepo(dir, url, access, signal);
    const ready = await stat(join(dir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!ready) {
      await mkdir(cacheRoot, { recursive: true });
      const tmp = `${dir}.init-${randomBytes(4).toString('hex')}`;
      await repo.#git(['init', '--bare', '--quiet', tmp], 'creating the git cache');
      await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
        await rm(tmp, { recursive: true, force: true });
        if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
      });
    }
    return repo;
  }

  #git(
    args: readonly string[],
    what: string,
    o: { maxStdout?: number; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Buffer> {
    return runGit(args, {
      env: { ...this.#access.env, ...o.env },
      signal: this.#signal,
      secrets: this.#access.secrets,
      what,
      ...(o.maxStdout !== undefined ? { maxStdout: o.maxStdout } : {}),
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The commit `ref` names on the remote now (one round trip, nothing fetched). A commit id is returned as is. */
  async remoteCommit(ref: string): Promise<string> {
    if (isCommitId(ref)) return ref;
    const out = await this.#git(['ls-remote', '--', this.url, ref, `${ref}^{}`], `looking up ${ref} at ${this.url}`);
    const sha = pickRemoteRef(out.toString('utf8'), ref);
    if (!sha)
      throw new ScrydonError('fetch_failed', `${this.url} has no branch or tag ${ref}`, {
        hint: 'check the source ref (scrydon source show NAME)',
      });
    return sha;
  }

  /** Fetches `ref` (depth 1) and returns the commit it points at; the commit is then in the cache. */
  fetch(ref: string): Promise<string> {
    return this.#serial(async () => {
      if (isCommitId(ref) && (await this.#hasCommit(ref))) return ref;
      await this.#git(
        ['-C', this.dir, 'fetch', '--quiet', '--depth', '1', '--no-tags', '--', this.url, `+${ref}:${FETCHED_REF}`],
        `fetching ${ref} from ${this.url}`,
      );
      const sha = (
        await this.#git(
          ['-C', this.dir, 'rev-parse', '--verify', '--quiet', `${FETCHED_REF}^{commit}`],
          `reading ${ref} of ${this.url}`,
        )
      )
        .toString('utf8')
        .trim();
      if (!COMMIT.test(sha))
        throw new ScrydonError('fetch_failed', `fetching ${ref} from ${this.url}: no commit came back`);
      return sha;
    });
  }

  async #hasCommit(sha: string): Promise<boolean> {
    try {
      await this.#git(['-C', this.dir, 'cat-file', '-e', `${sha}^{commit}`], `checking ${sha}`);
      return true;
    } catch {
      return false;
    }
  }

  /** A file's bytes at `commit` (at most `max`). */
  readFile(commit: string, path: string, max: number): Promise<Buffer> {
    return this.#serial(async () => {
      const spec = `${commit}:${path}`;
      let size: number;
      try {
        size = Number(
          (await this.#git(['-C', this.dir, 'cat-file', '-s', spec], `reading ${path}`)).toString('utf8').trim(),
        );
      } catch (e) {
        throw new ScrydonError('fetch_failed', `${this.url} has no ${path} at ${commit.slice(0, 12)}`, {
          cause: e,
          hint: "check the source's catalog path (default scrydon.yaml)",
        });
      }
      if (!Number.isSafeInteger(size) || size > max)
        throw new ScrydonError(
          'size_limit_exceeded',
          `${this.url}: ${path} at ${commit.slice(0, 12)} is over the ${max}-byte limit`,
        );
      return this.#git(['-C', this.dir, 'cat-file', 'blob', spec], `reading ${path} at ${commit.slice(0, 12)}`, {
        maxStdout: max,
      });
    });
  }

  /** Checks out the whole tree of `commit` into the empty directory `dest` (symbolic links stay links). */
  checkout(commit: string, dest: string, indexFile: string): Promise<void> {
    return this.#serial(async () => {
      await mkdir(dest, { recursive: true });
      await this.#git(
        [
          '--git-dir',
          this.dir,
          '--work-tree',
          dest,
          '-c',
          'core.symlinks=true',
          '-c',
          'core.autocrlf=false',
          'checkout',
          '--quiet',
          '-f',
          commit,
          '--',
          '.',
        ],
        `checking out ${commit.slice(0, 12)} of ${this.url}`,
        {
          env: { GIT_INDEX_FILE: indexFile },
        },
      );
      await rm(indexFile, { force: true });
    });
  }
}
