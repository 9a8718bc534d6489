import type { IoOptions } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { ScrydonError } from '../errors.js';
import { formatRemote, type RemoteReference } from '../names/remote.js';
import type { RepositoryTarget } from '../registry/repository-target.js';
import { lockArtifact, readLockArtifact, sameLock, type ReconcileLock } from '../sources/source-lock.js';
import { pushSmallArtifact } from '../verbs/push-artifact.js';

/**
 * The locks a site published (catalog-spec/publish.md "Locks"): each catalog `publish` writes gets a lock, a
 * referrer of that catalog in `PREFIX/catalog`, also tagged `TAG.lock.<n>` (n counts up from 1 per catalog tag), so
 * the site can list its history without the referrers API and keep the newest K.
 */
export interface PublishedLock {
  /** The catalog tag the lock belongs to. */
  catalogTag: string;
  n: number;
  /** `TAG.lock.<n>`. */
  tag: string;
  descriptor: Descriptor;
  lock: ReconcileLock;
}

/** Where publish left the catalog's lock; unchanged: the newest lock of the tag already said it. */
export interface PublishedLockRef {
  reference: string;
  digest: string;
  unchanged: boolean;
}

const LOCK_TAG = /^(.+)\.lock\.([1-9][0-9]{0,8})$/;

function lockTag(catalogTag: string, n: number): string {
  return `${catalogTag}.lock.${n}`;
}

/** The lock tags of the catalog repository, per catalog tag, newest (highest n) first; nothing is read yet. */
export async function lockTags(
  repo: RepositoryTarget,
  o: IoOptions = {},
): Promise<Map<string, Array<{ n: number; tag: string }>>> {
  const out = new Map<string, Array<{ n: number; tag: string }>>();
  for (const tag of await repo.tags(o)) {
    const m = LOCK_TAG.exec(tag);
    if (!m?.[1] || !m[2]) continue;
    const list = out.get(m[1]) ?? [];
    list.push({ n: Number(m[2]), tag });
    out.set(m[1], list);
  }
  for (const list of out.values()) list.sort((a, b) => b.n - a.n);
  return out;
}

/** Reads the lock tagged `tag` (undefined when the tag names something that is not a lock). */
export async function readPublishedLock(
  repo: RepositoryTarget,
  catalogTag: string,
  entry: { n: number; tag: string },
  o: IoOptions = {},
): Promise<PublishedLock | undefined> {
  const descriptor = await repo.resolve(entry.tag, o);
  const lock = await readLockArtifact(repo, descriptor, o);
  return lock ? { catalogTag, n: entry.n, tag: entry.tag, descriptor, lock } : undefined;
}

/** Whether `tag` resolves in `repo` (a tag a listing left out still resolves). */
async function tagResolves(repo: RepositoryTarget, tag: string, io: IoOptions): Promise<boolean> {
  try {
    await repo.resolve(tag, io);
    return true;
  } catch (e) {
    if (e instanceof ScrydonError && e.code === 'not_found') return false;
    throw e;
  }
}

/**
 * The newest lock tag of `tag`: the tag list's, then the ones after it that resolve anyway (a registry whose tag
 * list misses tags, or refuses the listing, must not have its lock history overwritten from `TAG.lock.1`).
 */
async function newestLockTag(
  repo: RepositoryTarget,
  tag: string,
  io: IoOptions,
): Promise<{ n: number; tag: string } | undefined> {
  let newest = (await lockTags(repo, io)).get(tag)?.[0];
  for (let n = (newest?.n ?? 0) + 1; await tagResolves(repo, lockTag(tag, n), io); n++)
    newest = { n, tag: lockTag(tag, n) };
  return newest;
}

/**
 * Writes the catalog's lock as its referrer, tagged `TAG.lock.<n+1>` — unless the newest lock of the tag already says
 * the same (a re-run with nothing new writes nothing).
 */
export async function publishLock(
  repo: RepositoryTarget,
  where: RemoteReference,
  tag: string,
  catalog: Descriptor,
  lock: ReconcileLock,
  io: IoOptions,
): Promise<PublishedLockRef> {
  const newestTag = await newestLockTag(repo, tag, io);
  const newest = newestTag ? await readPublishedLock(repo, tag, newestTag, io).catch(() => undefined) : undefined;
  if (newest && sameLock(newest.lock, lock))
    return {
      reference: formatRemote({ ...where, tag: newest.tag }),
      digest: newest.descriptor.digest,
      unchanged: true,
    };
  const t = lockTag(tag, (newestTag?.n ?? 0) + 1);
  const a = lockArtifact(lock, catalog);
  await pushSmallArtifact(repo, a, t, io);
  return { reference: formatRemote({ ...where, tag: t }), digest: a.descriptor.digest, unchanged: false };
}
