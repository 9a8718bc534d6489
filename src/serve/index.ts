/** `scrydon serve`: the store as a read-only OCI registry, with a catalog page and its JSON under /api/. */
export { isLoopbackHost, parseListenAddress, urlOf, type ListenAddress } from './address.js';
export { BasicAuth, basicCredentials, parseHtpasswd } from './htpasswd.js';
export { servedName, isRepositoryName, type ServedName } from '../names/served.js';
export { parseRange, type RangeRequest } from './range.js';
export { parseRegistryPath, type RegistryRoute } from './routes.js';
export { startServer, type RequestLog, type RunningServer, type ServeOptions, type ServeStats } from './server.js';
export { loadTls, type TlsFiles } from './tls.js';
export { catalogData, type CatalogData, type PackEntry, type PackVersion } from './catalog-data.js';
export { diffPackFiles, packFiles, type PackDiff, type PackFiles } from './pack-files.js';
export { signatureStatus, type SignatureStatus, type SignatureState } from './signature-status.js';
