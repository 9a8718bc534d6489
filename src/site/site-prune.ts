import type { IoOptions } from '../content/target.js';
import { isDigest, type Digest } from '../oci/digest.js';
import { formatRemote } from '../names/remote.js';
import { sitePackRepository, siteTag, type SitePrefix } from '../names/site.js';
import { legacySignatureTag } from '../names/store.js';
import { deleteManifest, type DeleteOutcome } from '../registry/delete.js';
import { fallbackTag } from '../registry/referrers.js';
import type { Remote } from '../registry/remote.js';
import type { RepositoryTarget } from '../registry/repository-target.js';
import { lockTags, readPublishedLock, type PublishedLock } from './site-locks.js';

interface PrunedPack {
  id: string;
  version: string;
  digest: string;
  /** REGISTRY/PREFIX/ID:TAG in the site registry. */
  reference: string;
}

export interface PruneResult {
  /** Packs the store no longer holds, deleted from the site registry (manifest, tag, referrers, `.sig` and `.att` tags). */
  deleted: PrunedPack[];
  /** Packs the store no longer holds, left out of the catalog but kept in the registry: a retained lock pins them. */
  pinned: Array<PrunedPack & { pinnedBy: string[] }>;
  /** Locks past the newest `keepLocks` of the catalog tag, deleted with the catalogs only they referred to. */
  expiredLocks: string[];
  /** The registry refused deletes (distribution without `storage.delete.enabled` answers 405): what stays. */
  notDeleted: string[];
}

/**
 * Deletes a manifest and what hangs off it: its referrers, the referrers tag schema's index (`sha256-<hex>`) and
 * cosign's `sha256-<hex>.sig` and `.att` tags. Returns `unsupported` at the first delete the registry refuses.
 */
async function deleteWithReferrers(repo: RepositoryTarget, digest: Digest, o: IoOptions): Promise<DeleteOutcome> {
  const d = await repo.resolve(digest, o).catch(() => undefined);
  if (!d) return 'absent';
  const doomed: Digest[] = (await repo.referrers(d, o)).map((r) => r.digest);
  for (const tag of [fallbackTag(digest), legacySignatureTag(digest), legacySignatureTag(digest, 'att')]) {
    const t = await repo.resolve(tag, o).catch(() => undefined);
    if (t && t.digest !== digest) doomed.push(t.digest);
  }
  for (const r of [...new Set(doomed), digest])
    if ((await deleteManifest(repo, r, o)) === 'unsupported') return 'unsupported';
  return 'deleted';
}

/**
 * `publish --prune`, after the new catalog and its lock are written (catalog-spec/publish.md "Pruning"): every
 * published lock is read; of the catalog tag's locks the newest `keepLocks` are retained (a lock whose catalog is
 * still current or retained stays too; those of other catalog tags are never touched). A pack some lock named that
 * the new catalog does not list is deleted from the site registry, unless a retained lock pins its digest: then it
 * only stays out of the catalog. Expired locks are deleted, with their catalogs. Nothing a retained lock names is
 * ever deleted, so a node whose lock is one of them can still `reconcile --locked`.
 */
export async function pruneSite(
  remote: Remote,
  site: SitePrefix,
  catalogRepo: RepositoryTarget,
  current: { tag: string; catalog: Digest; digests: ReadonlySet<string> },
  keepLocks: number,
  o: IoOptions = {},
): Promise<PruneResult> {
  const all: PublishedLock[] = [];
  for (const [catalogTag, tags] of await lockTags(catalogRepo, o))
    for (const t of tags) {
      // a lock that cannot be read stops the prune: what it pins is unknown (a tag naming no lock pins nothing)
      const l = await readPublishedLock(catalogRepo, catalogTag, t, o);
      if (l) all.push(l);
    }
  const mine = all.filter((l) => l.catalogTag === current.tag).sort((a, b) => b.n - a.n);
  const retained = new Set([...all.filter((l) => l.catalogTag !== current.tag), ...mine.slice(0, keepLocks)]);
  const liveCatalogs = new Set([current.catalog, ...[...retained].map((l) => l.lock.catalogDigest)]);
  const expired = mine.filter((l) => !retained.has(l) && !liveCatalogs.has(l.lock.catalogDigest));
  const pins = new Map<string, string[]>();
  for (const l of all)
    if (!expired.includes(l)) for (const p of l.lock.packs) pins.set(p.digest, [...(pins.get(p.digest) ?? []), l.tag]);

  const candidates = new Map<string, PrunedPack>();
  for (const l of all)
    for (const p of l.lock.packs) {
      if (current.digests.has(p.digest)) continue;
      const reference = formatRemote({ ...sitePackRepository(site, p.id), tag: siteTag(p.version) });
      candidates.set(`${p.id}@${p.digest}`, { id: p.id, version: p.version, digest: p.digest, reference });
    }
  const result: PruneResult = { deleted: [], pinned: [], expiredLocks: [], notDeleted: [] };
  let refused = false;
  const remove = async (repo: RepositoryTarget, digest: string, what: string): Promise<boolean> => {
    if (!isDigest(digest)) return false; // a lock naming no digest pins and deletes nothing
    if (!refused && (await deleteWithReferrers(repo, digest, o)) === 'unsupported') refused = true;
    if (refused) result.notDeleted.push(what);
    return !refused;
  };
  for (const l of expired)
    if (await remove(catalogRepo, l.descriptor.digest, `${catalogRepo.name}:${l.tag}`)) result.expiredLocks.push(l.tag);
  for (const c of new Set(expired.map((l) => l.lock.catalogDigest)))
    await remove(catalogRepo, c, `${catalogRepo.name}@${c}`);
  for (const c of candidates.values()) {
    const by = pins.get(c.digest);
    if (by) result.pinned.push({ ...c, pinnedBy: by });
    else if (await remove(remote.repository(sitePackRepository(site, c.id), { writable: true }), c.digest, c.reference))
      result.deleted.push(c);
  }
  return result;
}
