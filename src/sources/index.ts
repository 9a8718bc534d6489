export { catalogStoreTag, gitPackTag, gitStoreRepository } from '../names/sources.js';
export { ociCatalogReference } from '../names/sources.js';
/** Pack sources: scrydon.yaml catalogs, source configuration (sources.yaml), and the git, OCI and offline fetchers. */
export { checkCatalogFile, parseCatalogFile, CATALOG_FILE_MAX_BYTES, type ArtifactSpec, type CatalogEntry, type PackCatalog, type SignatureSpec } from './catalog-file.js';
export { readCatalogArtifact, type StoredCatalog } from './catalog-artifact.js';
export { openSession, parseSourceCatalog, testSource, type SourceTestResult } from './open-session.js';
export type { FetchedCatalog, GitEnvironment, SessionDeps, SourceSession } from './session.js';
export { checkCredential, DEFAULT_CATALOG_PATH, DEFAULT_GIT_REF, DEFAULT_INTERVAL, DEFAULT_OCI_TAG, intervalMs, resolveSource, sourceConfigHash, sourceSecretKey, SOURCE_POLICIES, SOURCE_TYPES, type Source, type SourcePolicy, type SourceSpec, type SourceType } from './source-spec.js';
export { encodeSourceList, parseSourceList, readSourceFile, readSourceList, updateSourcesFile, type SourceList } from './sources-file.js';
