import type { IoOptions } from '../content/target.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { artifactManifest } from '../oci/artifact.js';
import { EMPTY_JSON, MediaType } from '../oci/media-types.js';
import { formatRemote } from '../names/remote.js';
import {
  parseSitePrefix,
  siteCatalogRepository,
  sitePackRepository,
  siteTag,
  siteTrustRepository,
} from '../names/site.js';
import type { Remote } from '../registry/remote.js';
import type { PublicKeyInfo, SigningKey } from '../signature/keys.js';
import { signerLabel, type Receipt } from '../signature/receipts.js';
import { trustRootArtifact } from '../signature/trust-artifact.js';
import type { Store } from '../store/store-target.js';
import type { CatalogEntry } from '../sources/catalog-file.js';
import { siteCatalog } from './site-catalog.js';
import { pushCheckedCatalog } from '../sources/catalog-push.js';
import { DEFAULT_OCI_TAG } from '../sources/source-spec.js';
import type { TransferOptions } from '../verbs/options.js';
import { pushSmallArtifact, type SmallArtifact } from '../verbs/push-artifact.js';
import { pushGrouped } from '../verbs/push.js';
import { listStore } from '../pack/list.js';
import { sitePacks } from './site-packs.js';
import { Limiter } from '../content/limiter.js';
import { catalogSignature, refuseUnverified, siteSign, upstreamReceipt } from './site-signing.js';
import { publishLock, type PublishedLockRef } from './site-locks.js';
import { pruneSite, type PruneResult } from './site-prune.js';
import type { LockedPack } from '../sources/source-lock.js';

interface PublishOptions extends TransferOptions {
  /** The site's key: each pack gains the site's signature beside its original one, and the catalog says so. */
  signKey?: SigningKey;
  /** Upstream public keys the catalog may name for key-signed packs (the registered sources' keys). */
  upstreamKeys?: readonly PublicKeyInfo[];
  /** The catalog's tag (default `catalog`). */
  tag?: string;
  /** The trust directory whose trusted_root.json travels beside the catalog (keyless nodes verify with it). */
  trustDir?: string;
  /** The memo of generated catalogs' YAML (catalog-memo.ts): an unchanged catalog is not made again. */
  catalogMemo?: string;
  /** Delete from the site registry what the store no longer holds, unless one of the newest `keepLocks` locks pins it. */
  prune?: { keepLocks: number };
}

interface PublishedPack {
  id: string;
  version: string;
  digest: string;
  /** REGISTRY/PREFIX/ID:TAG@DIGEST, as the catalog names it. */
  reference: string;
  signature: CatalogEntry['signature']['kind'];
  /** The site signed it in this run (false: signed before, or no --sign-key). */
  siteSigned: boolean;
}

interface PublishResult {
  catalog: { reference: string; digest: string; unchanged: boolean };
  receipts?: { reference: string; digest: string };
  /** The lock of the catalog (a referrer of it, tagged `TAG.lock.<n>`); unchanged: the newest lock already says it. */
  lock: PublishedLockRef;
  pruned?: PruneResult;
  trustRoot?: { reference: string; digest: string };
  packs: PublishedPack[];
  /** Packs nothing verified (the catalog says `none` for them; a node requiring signatures refuses them). */
  unverified: string[];
  copied: number;
  skipped: number;
  bytes: number;
  referrers: number;
  mounted: number;
}

/** HEAD requests a publish has in flight at once to find which packs the registry already holds under their tag. */
const PRESENCE_CHECKS = 16;

/** The upstream receipts of what was published, one JSON line each, as an artifact nodes and auditors can read. */
function receiptsArtifact(receipts: readonly Receipt[]): SmallArtifact {
  const body = Buffer.from(receipts.map((r) => JSON.stringify(r) + '\n').join(''));
  const layer = descriptorOf(MediaType.siteReceipts, body);
  const m = artifactManifest(MediaType.siteReceipts, [layer]);
  return {
    ...m,
    blobs: [
      [m.config, EMPTY_JSON],
      [layer, body],
    ],
  };
}

/**
 * `scrydon publish REGISTRY/PREFIX` (catalog-spec/publish.md): every pack of the store, with its referrers and
 * legacy signature tags, under `PREFIX/ID:VERSION`; with a site key, the site's signature beside each original
 * (made once, in the store); then the trusted root and the upstream receipts; last the generated catalog, which
 * names each pack by digest. The catalog goes last so a node never reads a catalog naming what is not there yet.
 */
export async function publish(
  remote: Remote,
  store: Store,
  prefix: string,
  o: PublishOptions = {},
): Promise<PublishResult> {
  const site = parseSitePrefix(prefix);
  const packs = await sitePacks(store, o);
  const io: IoOptions = o.signal ? { signal: o.signal } : {};
  const entries: CatalogEntry[] = [];
  const locked: LockedPack[] = [];
  const published: PublishedPack[] = [];
  const receipts: Receipt[] = [];
  const unverified: string[] = [];
  const targets: Array<{
    source: string;
    target: ReturnType<typeof sitePackRepository> & { tag: string };
    root: Descriptor;
  }> = [];
  // every upstream receipt first: the site signs nothing unless it can sign everything (a refusal changes nothing)
  const upstreams = await Promise.all(packs.map((p) => upstreamReceipt(store, p, o.signKey?.publicKey)));
  if (o.signKey) for (const [i, p] of packs.entries()) if (!upstreams[i]) refuseUnverified(p);
  for (const [i, p] of packs.entries()) {
    const upstream = upstreams[i];
    const signed = o.signKey && upstream ? await siteSign(store, p, upstream, o.signKey, io) : false;
    if (upstream) receipts.push(upstream);
    const signature = catalogSignature(upstream, o.signKey?.publicKey, o.upstreamKeys ?? []);
    if (signature.kind === 'none') unverified.push(`${p.id}:${p.version}`);
    const target = { ...sitePackRepository(site, p.id), tag: siteTag(p.version) };
    const reference = formatRemote({ ...target, digest: p.descriptor.digest });
    targets.push({ source: p.storeRef, target, root: p.descriptor });
    entries.push({ id: p.id, version: p.version, artifact: { kind: 'oci', ref: reference }, signature });
    const signer = o.signKey
      ? `key ${o.signKey.publicKey.fingerprint}`
      : upstream
        ? signerLabel(upstream.signer)
        : null;
    locked.push({ id: p.id, version: p.version, digest: p.descriptor.digest, artifact: reference, signer });
    published.push({
      id: p.id,
      version: p.version,
      digest: p.descriptor.digest,
      reference,
      signature: signature.kind,
      siteSigned: signed,
    });
  }
  // a pack whose tag already names its digest, and that the site did not sign just now, is there: one HEAD each,
  // PRESENCE_CHECKS at once (a HEAD is a few hundred bytes each way: at 4 at a time, a no-change republish of 500
  // packs waits mostly on the registry's latency)
  const slots = new Limiter(Math.max(PRESENCE_CHECKS, o.concurrency ?? 4));
  const present = await Promise.all(
    targets.map((t, i) =>
      published[i]?.siteSigned
        ? Promise.resolve(false)
        : slots.run(() =>
            remote
              .repository(t.target)
              .resolve(t.target.tag, io)
              .then(
                (d) => d.digest === t.root.digest,
                () => false,
              ),
          ),
    ),
  );
  const stats = await pushGrouped(
    remote,
    store,
    targets.filter((_, i) => !present[i]),
    o,
  );

  const catalogRepo = siteCatalogRepository(site);
  const tag = o.tag ?? DEFAULT_OCI_TAG;
  const result: Omit<PublishResult, 'catalog' | 'lock'> = {
    packs: published,
    unverified,
    copied: stats.copied,
    skipped: stats.skipped + present.filter(Boolean).length,
    bytes: stats.bytes,
    referrers: stats.referrers,
    mounted: stats.mounted,
  };
  const trust = o.trustDir ? await trustRootArtifact(o.trustDir) : undefined;
  if (trust) {
    const repo = siteTrustRepository(site);
    const t = trust.ref.slice(trust.ref.indexOf(':') + 1);
    const a = { descriptor: trust.manifest, manifestBytes: trust.manifestBytes, blobs: trust.parts };
    await pushSmallArtifact(remote.repository(repo, { writable: true }), a, t, io);
    result.trustRoot = { reference: formatRemote({ ...repo, tag: t }), digest: trust.digest };
  }
  if (receipts.length > 0) {
    const a = receiptsArtifact(receipts);
    const receiptsTag = `${tag}.receipts`;
    await pushSmallArtifact(remote.repository(catalogRepo, { writable: true }), a, receiptsTag, io);
    result.receipts = { reference: formatRemote({ ...catalogRepo, tag: receiptsTag }), digest: a.descriptor.digest };
  }
  const catalogTarget = remote.repository(catalogRepo, { writable: true });
  const pushed = await pushCheckedCatalog(
    remote,
    formatRemote({ ...catalogRepo, tag }),
    await siteCatalog(entries, catalogTarget, tag, o.catalogMemo, io),
    { ...io, ...(o.signKey ? { key: o.signKey } : {}) },
  );
  const lock = await publishLock(
    catalogTarget,
    catalogRepo,
    tag,
    pushed.descriptor,
    {
      schemaVersion: 1,
      source: { name: 'publish', type: 'oci', url: formatRemote(catalogRepo), ref: tag, catalogPath: 'scrydon.yaml' },
      revision: pushed.descriptor.digest,
      catalogDigest: pushed.descriptor.digest,
      createdAt: new Date().toISOString(),
      packs: locked,
    },
    io,
  );
  const pruned = o.prune
    ? await pruneSite(
        remote,
        site,
        catalogTarget,
        { tag, catalog: pushed.descriptor.digest, digests: new Set(locked.map((l) => l.digest)) },
        o.prune.keepLocks,
        io,
      )
    : undefined;
  // a publish that went through keeps the store's ls view (derived, rebuildable; a refusal above writes nothing): a
  // re-run, or the next ls, reads no pack manifest again
  await listStore(store, { ...io, remember: true });
  return {
    catalog: { reference: pushed.reference, digest: pushed.descriptor.digest, unchanged: pushed.unchanged },
    lock,
    ...(pruned ? { pruned } : {}),
    ...result,
  };
}
