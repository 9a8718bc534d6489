import type { WalkLimits } from '../content/limits.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Remote } from '../registry/remote.js';
import type { NetTimeouts } from '../registry/transport/time-bounds.js';
import type { Store } from '../store/store-target.js';
import type { CatalogEntry } from './catalog-file.js';
import type { Source } from './source-spec.js';

export interface FetchedCatalog {
  /** The git commit, or the catalog artifact's manifest digest. */
  revision: string;
  /** The catalog artifact in the store. */
  descriptor: Descriptor;
  /** scrydon.yaml's bytes. */
  bytes: Buffer;
}

/**
 * What a reconcile run asks of a source, whatever its type and whether the network may be used: a cheap
 * revision probe (change detection), the catalog (kept in the store), and each entry's artifact mirrored
 * into the store. All errors are ScrydonErrors; the run maps them to fetch_failed.
 */
export interface SourceSession {
  readonly source: Source;
  /** The revision the source is at now: one HEAD (OCI), one ls-remote (git), the stored catalog (offline). */
  probe(): Promise<string>;
  /** The catalog, at `pinned` (a lock's revision) or at what the source's ref names now; kept in the store. */
  catalog(pinned?: string): Promise<FetchedCatalog>;
  /**
   * Makes `entry`'s artifact present in the store and returns its manifest; `expect` pins the digest (a lock's),
   * `atRevision` the commit a git-tar entry is packed at (a lock's) instead of what its ref names now.
   */
  mirror(entry: CatalogEntry, expect?: string, atRevision?: string): Promise<Descriptor>;
  /** The commit a git-tar entry was packed at in this session (undefined for other entries and sessions). */
  packedAt?(entry: CatalogEntry): string | undefined;
  close(): Promise<void>;
}

export interface GitEnvironment {
  /** The CLI's environment, which git runs with (minus GIT_* variables). */
  baseEnv: NodeJS.ProcessEnv;
  /** `$SCRYDON_HOME/cache/git`. */
  cacheRoot: string;
  /** `$SCRYDON_HOME/tmp`: checkouts and deploy keys for the run's duration. */
  tmpDir: string;
  knownHostsFile: string;
  /** The registry client's bounds, for git's transports too (git-access.ts gitConfigFor). */
  timeouts?: NetTimeouts;
}

export interface SessionDeps {
  store: Store;
  /** A registry client for the registries named (the source's transport flags and credential applied). */
  openRemote: (registries: readonly string[]) => Promise<Remote>;
  git: GitEnvironment;
  /** The source's credential, from the secret store (or the one being tested). */
  credential: string | undefined;
  signal?: AbortSignal | undefined;
  /** What a source's registry may make a mirror walk (content/limits.ts); the defaults where absent. */
  walkLimits?: Partial<WalkLimits> | undefined;
}
