import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { descriptorOf, plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { type ImageManifest } from '../oci/manifest.js';
import { artifactManifest, titled } from '../oci/artifact.js';
import { Annotation, EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import { readNode } from '../pack/read.js';
import { withLeasedStore } from '../store/leased-store.js';
import type { Store } from '../store/store-target.js';
import { CATALOG_FILE_MAX_BYTES } from './catalog-file.js';
import { type Source } from './source-spec.js';

/**
 * A source's catalog as an artifact in the store, so it travels with `save` and an offline run reads it.
 * OCI sources: the catalog artifact as published, under its remote name. Git sources: an artifact built here
 * (one `application/vnd.scrydon.catalog.v1+yaml` layer, the empty config, annotations naming URL, ref, path and
 * commit; no timestamp, so one commit always gives one digest), tagged by a hash of the URL, ref and path.
 */

export interface CatalogArtifact {
  descriptor: Descriptor;
  manifestBytes: Buffer;
  layer: Descriptor;
}

/**
 * A catalog artifact: the empty config, one `application/vnd.scrydon.catalog.v1+yaml` layer titled `title`, and
 * `annotations` on the manifest. No timestamp, so the same catalog always gives the same digest (`oras push` adds
 * `org.opencontainers.image.created`; readers accept both).
 */
export function catalogArtifact(bytes: Buffer, title: string, annotations?: Record<string, string>): CatalogArtifact {
  return catalogArtifactOfLayer(descriptorOf(MediaType.catalogLayer, bytes), title, annotations);
}

/** catalogArtifact for a layer known by its digest and size alone (the artifact names nothing else of it). */
export function catalogArtifactOfLayer(
  layer: Pick<Descriptor, 'digest' | 'size'>,
  title: string,
  annotations?: Record<string, string>,
): CatalogArtifact {
  const titledLayer: Descriptor = {
    mediaType: MediaType.catalogLayer,
    digest: layer.digest,
    size: layer.size,
    ...titled(title),
  };
  return { ...artifactManifest(MediaType.catalogLayer, [titledLayer], annotations), layer: titledLayer };
}

/** The artifact of a git source's catalog read at `commit`. */
export function gitCatalogArtifact(
  bytes: Buffer,
  s: Pick<Source, 'url' | 'ref' | 'catalogPath'>,
  commit: string,
): CatalogArtifact {
  return catalogArtifact(bytes, s.catalogPath, {
    [Annotation.sourcePath]: s.catalogPath,
    [Annotation.sourceRef]: s.ref,
    [Annotation.sourceRevision]: commit,
    [Annotation.sourceUrl]: s.url,
  });
}

/** Stores a git catalog artifact (children first) and tags it, under a lease (gc keeps it until it is tagged). */
export async function storeGitCatalog(
  into: Store,
  a: CatalogArtifact,
  catalog: Buffer,
  tag: string,
  o: IoOptions = {},
): Promise<void> {
  await withLeasedStore(into, async (store) => {
    const config: Descriptor = {
      mediaType: MediaType.ociEmpty,
      digest: EMPTY_JSON_DIGEST,
      size: EMPTY_JSON.byteLength,
    };
    if (!(await store.exists(config))) await store.push(config, Readable.from([EMPTY_JSON]), o);
    if (!(await store.exists(a.layer))) await store.push(a.layer, Readable.from([catalog]), o);
    if (!(await store.exists(a.descriptor))) await store.push(a.descriptor, Readable.from([a.manifestBytes]), o);
    await store.tag(a.descriptor, tag);
  });
}

interface StoredCatalog {
  /** The catalog artifact's manifest. */
  descriptor: Descriptor;
  bytes: Buffer;
  /** The commit a git source's catalog artifact records (undefined for a published OCI catalog). */
  commit: string | undefined;
}

/** The catalog layer of a catalog artifact: the only one, or the one titled `catalogPath` (or its file name). */
function catalogLayerOf(m: ImageManifest, catalogPath: string, what: string): Descriptor {
  const layers = m.layers.filter((l) => l.mediaType === MediaType.catalogLayer);
  if (layers.length === 1 && layers[0]) return plainDescriptor(layers[0]);
  const titled =
    layers.find((l) => l.annotations?.[Annotation.title] === catalogPath) ??
    layers.find((l) => basename(l.annotations?.[Annotation.title] ?? '') === basename(catalogPath));
  if (titled) return plainDescriptor(titled);
  throw new ScrydonError(
    'fetch_failed',
    `${what} has ${layers.length === 0 ? 'no' : `${layers.length}`} ${MediaType.catalogLayer} layer${layers.length === 1 ? '' : 's'}${layers.length > 1 ? ` and none titled ${catalogPath}` : ''}`,
    {
      hint: `push the catalog with oras push REPO:catalog --artifact-type ${MediaType.catalogLayer} scrydon.yaml:${MediaType.catalogLayer}`,
    },
  );
}

/** Reads a catalog artifact (by reference or descriptor) from any target: the manifest, then its catalog layer. */
export async function readCatalogArtifact(
  target: ReadOnlyTarget,
  ref: string | Descriptor,
  catalogPath: string,
  o: IoOptions = {},
): Promise<StoredCatalog> {
  const what = typeof ref === 'string' ? ref : ref.digest;
  const { descriptor, node } = await readNode(target, ref, o);
  if (node.kind !== 'manifest')
    throw new ScrydonError('fetch_failed', `${what} is an image index, not a catalog artifact`);
  const layer = catalogLayerOf(node.manifest, catalogPath, what);
  if (layer.size > CATALOG_FILE_MAX_BYTES)
    throw new ScrydonError(
      'size_limit_exceeded',
      `${what}: the catalog is ${layer.size} bytes, over the ${CATALOG_FILE_MAX_BYTES}-byte limit`,
    );
  const bytes = await readAllBounded(
    verified(await target.fetch(layer, o), layer, target.name),
    CATALOG_FILE_MAX_BYTES,
    `catalog layer ${layer.digest}`,
  );
  return { descriptor, bytes, commit: node.manifest.annotations?.[Annotation.sourceRevision] };
}
