import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { buildPackFile, packArtifact, storePack } from '../pack/build.js';
import { CATALOG_FILE_MAX_BYTES, type CatalogEntry } from './catalog-file.js';
import { gitCatalogArtifact, storeGitCatalog } from './catalog-artifact.js';
import { openGitAccess, type GitAccess } from './git-access.js';
import { GitRepo, isCommitId } from './git-repo.js';
import { mirrorFromRegistry } from './oci-entry.js';
import { RemotePool } from './remote-pool.js';
import type { FetchedCatalog, SessionDeps, SourceSession } from './session.js';
import type { Source } from './source-spec.js';
import { catalogStoreTag, gitPackTag } from '../names/sources.js';
import { LeasedStore } from '../store/leased-store.js';

/**
 * A git source, online: `git ls-remote` for change detection, a shallow fetch into the cache for the catalog
 * (stored as an artifact of its own), and for each git-tar entry the tree at its ref checked out once per
 * commit and packed with `scrydon build`'s own code — the same bytes as building that directory by hand.
 */
export class GitSession implements SourceSession {
  readonly source: Source;
  readonly #deps: SessionDeps;
  readonly #access: GitAccess;
  readonly #repo: GitRepo;
  readonly #remotes: RemotePool;
  readonly #work: string;
  readonly #commits = new Map<string, Promise<string>>();
  readonly #trees = new Map<string, Promise<string>>();
  readonly #packed = new Map<CatalogEntry, string>();
  /** One lease for the packs this session stores (held until close, when they are long tagged). */
  readonly #leased: LeasedStore;
  /** git-tar mirrors under way, and the tags of those that wait for the others (tagTogether). */
  #building = 0;
  #tags: Array<{ d: Descriptor; ref: string; done: (e?: unknown) => void }> = [];

  private constructor(source: Source, deps: SessionDeps, access: GitAccess, repo: GitRepo, work: string) {
    this.source = source;
    this.#deps = deps;
    this.#access = access;
    this.#repo = repo;
    this.#work = work;
    this.#remotes = new RemotePool(deps.openRemote);
    this.#leased = new LeasedStore(deps.store);
  }

  static async open(source: Source, deps: SessionDeps): Promise<GitSession> {
    const access = await openGitAccess(source, deps.credential, deps.git);
    try {
      const repo = await GitRepo.open(deps.git.cacheRoot, source.url, access, deps.signal);
      const work = join(deps.git.tmpDir, `reconcile-${process.pid}-${randomBytes(6).toString('hex')}`);
      return new GitSession(source, deps, access, repo, work);
    } catch (e) {
      await access.dispose();
      throw e;
    }
  }

  probe(): Promise<string> {
    return this.#repo.remoteCommit(this.source.ref);
  }

  /** Fetches `ref` once per run. */
  #commit(ref: string): Promise<string> {
    let p = this.#commits.get(ref);
    if (!p) {
      p = this.#repo.fetch(ref);
      this.#commits.set(ref, p);
    }
    return p;
  }

  async catalog(pinned?: string): Promise<FetchedCatalog> {
    const commit = await this.#commit(pinned ?? this.source.ref);
    if (pinned !== undefined && isCommitId(pinned) && commit !== pinned)
      throw new ScrydonError('fetch_failed', `${this.source.url}: fetched ${commit}, not ${pinned}`);
    const bytes = await this.#repo.readFile(commit, this.source.catalogPath, CATALOG_FILE_MAX_BYTES);
    const artifact = gitCatalogArtifact(bytes, this.source, commit);
    await storeGitCatalog(this.#deps.store, artifact, bytes, catalogStoreTag(this.source), {
      signal: this.#deps.signal,
    });
    return { revision: commit, descriptor: artifact.descriptor, bytes };
  }

  /** The tree of `commit`, checked out once per run (its real path: insideTree compares against it). */
  #tree(commit: string): Promise<string> {
    let p = this.#trees.get(commit);
    if (!p) {
      const dir = join(this.#work, commit);
      p = mkdir(this.#work, { recursive: true }).then(async () => {
        await this.#repo.checkout(commit, dir, join(this.#work, `${commit}.index`));
        return realpath(dir);
      });
      this.#trees.set(commit, p);
    }
    return p;
  }

  packedAt(entry: CatalogEntry): string | undefined {
    return this.#packed.get(entry);
  }

  async mirror(entry: CatalogEntry, expect?: string, atRevision?: string): Promise<Descriptor> {
    if (entry.artifact.kind === 'oci') {
      const remote = await this.#remotes.for(entry.artifact.ref);
      return mirrorFromRegistry(remote, this.#deps.store, entry.artifact.ref, expect, {
        signal: this.#deps.signal,
        walkLimits: this.#deps.walkLimits,
      });
    }
    this.#building++;
    try {
      const stored = await this.#pack(entry, expect, atRevision);
      await this.#tagTogether(stored, gitPackTag(this.source.url, entry.id, entry.version));
      return stored;
    } finally {
      this.#building--;
      this.#flushTags();
    }
  }

  /**
   * Tags `d` together with the mirrors running beside this one: once each of them has its pack stored (or has
   * failed), all their tags go to the store at once, which writes index.json once for them (updateIndex's group
   * commit), not once per pack. Each mirror still gets its own tag's outcome.
   */
  #tagTogether(d: Descriptor, ref: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#tags.push({ d, ref, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.#flushTags();
    });
  }

  #flushTags(): void {
    if (this.#tags.length === 0 || this.#tags.length < this.#building) return;
    const batch = this.#tags;
    this.#tags = [];
    for (const t of batch)
      this.#leased.tag(t.d, t.ref).then(
        () => t.done(),
        (e: unknown) => t.done(e ?? new Error('tag failed')),
      );
  }

  /** Packs the entry's directory at its commit and stores the pack (untagged: mirror tags it). */
  async #pack(entry: CatalogEntry, expect: string | undefined, atRevision: string | undefined): Promise<Descriptor> {
    if (entry.artifact.kind !== 'git-tar') throw new ScrydonError('internal', `${entry.id}: not a git-tar entry`);
    const commit = await this.#commit(atRevision ?? entry.artifact.ref);
    const tree = await this.#tree(commit);
    this.#packed.set(entry, commit);
    const dir = await insideTree(tree, entry.artifact.path, `${entry.id} ${entry.version}`);
    const built = await buildPackFile(dir, { tmpDir: this.#work, signal: this.#deps.signal });
    try {
      const art = packArtifact(built);
      const digest = art.descriptor.digest;
      if (expect !== undefined && digest !== expect) {
        throw new ScrydonError(
          'digest_mismatch',
          `${entry.id} ${entry.version}: packing ${entry.artifact.path} at ${commit.slice(0, 12)} gives ${digest}, not the locked ${expect}`,
        );
      }
      // held in one lease write, not one per blob as storePack pushes them
      await this.#leased.hold([art.config, built.descriptor, art.descriptor]);
      return await storePack(this.#leased, built, [], { signal: this.#deps.signal });
    } finally {
      if (built.temporary && built.path) await rm(built.path, { force: true });
    }
  }

  async close(): Promise<void> {
    await this.#leased.release();
    await this.#remotes.close();
    await rm(this.#work, { recursive: true, force: true });
    await this.#access.dispose();
  }
}

/**
 * The directory `path` names inside the checked-out tree `root` (a real path), refusing one that leaves it
 * through a symbolic link in the repository (a hostile repository must not get files of this machine packed).
 */
async function insideTree(root: string, path: string, what: string): Promise<string> {
  const dir = path === '.' ? root : join(root, path);
  let real: string;
  try {
    real = await realpath(dir);
  } catch (e) {
    throw new ScrydonError('fetch_failed', `${what}: ${path} is not in the repository at that ref`, { cause: e });
  }
  if (real !== root && !real.startsWith(root + sep)) {
    throw new ScrydonError('unsafe_path', `${what}: ${path} leads outside the repository (a symbolic link)`, {
      hint: 'pack paths must be real directories of the repository',
    });
  }
  return real;
}
