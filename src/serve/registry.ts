import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { artifactTypeOf, parseGraphNode } from '../oci/manifest.js';
import { MediaType } from '../oci/media-types.js';
import type { Store } from '../store/store-target.js';
import { sendBlob } from './blob-response.js';
import type { BytesLru } from '../content/bytes-lru.js';
import { readManifest } from './content.js';
import { sendBytes, sendJson, type Exchange } from './http.js';
import { isRepositoryName, isTagName } from '../names/served.js';
import { OciHttpError } from './oci-error.js';
import type { RegistryRoute } from './routes.js';
import type { IndexSnapshots, Snapshot } from './snapshot.js';
import type { ManifestCache } from './manifest-cache.js';

interface RegistryContext {
  store: Store;
  snapshots: IndexSnapshots;
  manifests: ManifestCache;
  /** Small blobs kept in memory (sendBlob). */
  smallBlobs: BytesLru;
}

/** Largest page of tags or repositories one request returns (a client asks for more pages). */
const MAX_PAGE = 10_000;

function repository(s: Snapshot, name: string): ReadonlyMap<string, Descriptor> {
  if (!isRepositoryName(name))
    throw new OciHttpError('NAME_INVALID', `"${name.slice(0, 300)}" is not a valid repository name`, {
      name: name.slice(0, 300),
    });
  const repo = s.repositories.get(name);
  if (!repo) throw new OciHttpError('NAME_UNKNOWN', `repository ${name} is not in this store`, { name });
  return repo;
}

/** `n` and `last` of a paginated list; `items` are sorted (code-point order, as the spec's lexical order). */
function page(x: Exchange, items: readonly string[], path: string): { items: string[]; link?: string } {
  const nRaw = x.url.searchParams.get('n');
  const last = x.url.searchParams.get('last');
  if (nRaw !== null && !/^\d{1,9}$/.test(nRaw))
    throw new OciHttpError(
      'PAGINATION_NUMBER_INVALID',
      `n=${nRaw.slice(0, 20)} is not a non-negative integer`,
      undefined,
      400,
    );
  const n = nRaw === null ? MAX_PAGE : Math.min(Number(nRaw), MAX_PAGE);
  const after = last === null ? items : items.filter((t) => t > last);
  const out = after.slice(0, n);
  const lastOut = out[out.length - 1];
  if (after.length > n && lastOut !== undefined) {
    return { items: out, link: `<${path}?n=${n}&last=${encodeURIComponent(lastOut)}>; rel="next"` };
  }
  return { items: out };
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

async function manifest(x: Exchange, c: RegistryContext, s: Snapshot, name: string, reference: string): Promise<void> {
  const repo = repository(s, name);
  let found;
  if (isDigest(reference)) {
    const listed = s.manifests.get(reference);
    found = listed ? await c.manifests.read(c.store, listed) : await readManifest(c.store, reference);
  } else if (reference.includes(':')) {
    throw new OciHttpError(
      'DIGEST_INVALID',
      `"${reference.slice(0, 100)}" is not a sha256 digest`,
      { reference: reference.slice(0, 100) },
      400,
    );
  } else {
    const d = isTagName(reference) ? repo.get(reference) : undefined;
    found = d ? await c.manifests.read(c.store, d) : undefined;
  }
  if (!found)
    throw new OciHttpError('MANIFEST_UNKNOWN', `manifest ${reference} is not in repository ${name}`, {
      name,
      reference,
    });
  const { descriptor: d, bytes } = found;
  sendBytes(x, 200, { 'content-type': d.mediaType, 'docker-content-digest': d.digest, etag: `"${d.digest}"` }, bytes);
}

/** The referrers API: an image index of every manifest whose subject is `digest`, filtered by artifactType. */
async function referrers(x: Exchange, c: RegistryContext, s: Snapshot, name: string, digest: string): Promise<void> {
  repository(s, name);
  if (!isDigest(digest))
    throw new OciHttpError(
      'DIGEST_INVALID',
      `"${digest.slice(0, 100)}" is not a sha256 digest`,
      { digest: digest.slice(0, 100) },
      400,
    );
  const want = x.url.searchParams.get('artifactType');
  const manifests: Descriptor[] = [];
  for (const r of await c.store.referrers({ mediaType: MediaType.ociManifest, digest, size: 0 })) {
    const m = await readManifest(c.store, r.digest, r);
    if (!m) continue;
    const node = parseGraphNode(m.bytes, m.descriptor.mediaType, `referrer ${r.digest}`);
    const entry: Descriptor = { ...m.descriptor };
    const artifactType = artifactTypeOf(node);
    if (artifactType) entry.artifactType = artifactType;
    const annotations = node.kind === 'manifest' ? node.manifest.annotations : node.index.annotations;
    if (annotations && Object.keys(annotations).length) entry.annotations = annotations;
    if (want === null || entry.artifactType === want) manifests.push(entry);
  }
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
  if (body.length > MAX_MANIFEST_BYTES)
    throw new OciHttpError('UNKNOWN', `the referrers of ${digest} are over ${MAX_MANIFEST_BYTES} bytes`);
  sendBytes(
    x,
    200,
    { 'content-type': MediaType.ociIndex, ...(want !== null ? { 'oci-filters-applied': 'artifactType' } : {}) },
    body,
  );
}

/** Answers a GET or HEAD under /v2/ (pushes never reach here). */
export async function handleRegistryRead(x: Exchange, c: RegistryContext, route: RegistryRoute): Promise<void> {
  switch (route.kind) {
    case 'base':
      sendJson(x, 200, {});
      return;
    case 'catalog': {
      const p = page(x, sorted((await c.snapshots.get()).repositories.keys()), '/v2/_catalog');
      sendJson(x, 200, { repositories: p.items }, p.link ? { link: p.link } : {});
      return;
    }
    case 'tags': {
      const repo = repository(await c.snapshots.get(), route.name);
      const p = page(x, sorted(repo.keys()), `/v2/${route.name}/tags/list`);
      sendJson(x, 200, { name: route.name, tags: p.items }, p.link ? { link: p.link } : {});
      return;
    }
    case 'manifest':
      return manifest(x, c, await c.snapshots.get(), route.name, route.reference);
    case 'blob':
      repository(await c.snapshots.get(), route.name);
      if (!isDigest(route.digest))
        throw new OciHttpError(
          'DIGEST_INVALID',
          `"${route.digest.slice(0, 100)}" is not a sha256 digest`,
          undefined,
          400,
        );
      return sendBlob(x, c.store, c.smallBlobs, route.digest);
    case 'referrers':
      return referrers(x, c, await c.snapshots.get(), route.name, route.digest);
    case 'upload':
      throw new OciHttpError('BLOB_UPLOAD_UNKNOWN', 'this registry is read-only: there are no uploads');
    case 'unknown':
      throw new OciHttpError(
        'NAME_UNKNOWN',
        `${x.url.pathname.slice(0, 300)} is not an endpoint of this registry`,
        undefined,
        404,
      );
  }
}
