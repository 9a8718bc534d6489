/** Every media type and annotation key scrydon reads or writes (catalog-spec/media-types.md lists the same). */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  packArtifact: 'application/vnd.scrydon.pack.v1.tar.gzip',
  packLayer: 'application/vnd.scrydon.pack.v1.tar.gzip',
  packConfig: 'application/vnd.scrydon.pack.config.v1+json',
  catalogLayer: 'application/vnd.scrydon.catalog.v1+yaml',
  // -- signatures (cosign and Sigstore)
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  cosignArtifactSig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  inTotoPayload: 'application/vnd.in-toto+json',
  /** The layer of a legacy cosign `.att` attestation: a DSSE envelope (cosign pkg/types DssePayloadType). */
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  /** Parameter-free (the image-spec's media type pattern has no parameters); archives before it carried `…+json;version=0.1`. */
  sigstoreTrustedRoot: 'application/vnd.dev.sigstore.trustedroot+json',
  // -- sources and reconcile
  reconcileLock: 'application/vnd.scrydon.lock.v1+json',
  siteReceipts: 'application/vnd.scrydon.receipts.v1+jsonl',
  // -- the tool carried in an archive (save --with-tool)
  toolArtifact: 'application/vnd.scrydon.tool.v1',
  toolExecutable: 'application/octet-stream',
  toolNpmPackage: 'application/gzip',
  toolChecksums: 'text/plain',
} as const;

export const Annotation = {
  refName: 'org.opencontainers.image.ref.name',
  title: 'org.opencontainers.image.title',
  version: 'org.opencontainers.image.version',
  created: 'org.opencontainers.image.created',
  packId: 'io.scrydon.pack.id',
  /** On index.json entries of referrer manifests: the digest of their subject (a lookup cache). */
  subject: 'io.scrydon.subject',
  // -- signatures (cosign and Sigstore)
  cosignSignature: 'dev.cosignproject.cosign/signature',
  cosignCertificate: 'dev.sigstore.cosign/certificate',
  cosignChain: 'dev.sigstore.cosign/chain',
  cosignBundle: 'dev.sigstore.cosign/bundle',
  cosignTimestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  bundleContent: 'dev.sigstore.bundle.content',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  /** On a legacy `.att` layer: the statement's predicate type (cosign cmd/cosign/cli/attest). */
  cosignPredicateType: 'predicateType',
  // -- sources and reconcile
  sourceUrl: 'io.scrydon.source.url',
  sourceRef: 'io.scrydon.source.ref',
  sourceRevision: 'io.scrydon.source.revision',
  sourcePath: 'io.scrydon.source.path',
  // -- the tool carried in an archive (save --with-tool)
  toolPlatform: 'io.scrydon.tool.platform',
  /** On an archive's index.json: the digest of the carried tool's SHA256SUMS blob (what tar extracts first). */
  toolChecksums: 'io.scrydon.tool.sha256sums',
} as const;

/** The empty JSON config blob `{}` of OCI 1.1 artifacts. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as const;

const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest, MediaType.dockerManifest]);
const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList]);

export function isManifestType(mt: string): boolean {
  return MANIFEST_TYPES.has(mt);
}
export function isIndexType(mt: string): boolean {
  return INDEX_TYPES.has(mt);
}
/** A node whose bytes are a manifest or an index (has successors). */
export function isGraphNodeType(mt: string): boolean {
  return MANIFEST_TYPES.has(mt) || INDEX_TYPES.has(mt);
}

/** Media types kept as one string each (a walk of thousands of blobs has a handful of them); past this, as given. */
const MEDIA_TYPES_SHARED = 64;
const MAX_SHARED_LENGTH = 200;
const mediaTypes = new Map<string, string>();

/**
 * One string for each media type (or artifact type) that what is kept of thousands of descriptors names: a parsed
 * manifest or index.json gives each descriptor its own copy.
 */
export function sharedMediaType(t: string): string {
  const shared = mediaTypes.get(t);
  if (shared !== undefined) return shared;
  if (mediaTypes.size < MEDIA_TYPES_SHARED && t.length <= MAX_SHARED_LENGTH) mediaTypes.set(t, t);
  return t;
}
