/**
 * scrydon's library API, for a program that embeds it: the store, pack building and reading, copy between
 * Targets, save/load, install. It is the one module outside code may rely on (folders have no index files: code
 * inside imports the module it needs). The CLI (cmd/) is built on the same modules and uses more of them than
 * this lists (registry clients, sources, reconcile, serve); what a command does beyond these calls is parsing
 * its flags and rendering its result.
 */
export { ScrydonError, ErrorCode, isScrydonError } from './errors.js';
export type { ErrorDetails } from './errors.js';

export { homePaths, type HomePaths } from './config/paths.js';

export type { Descriptor } from './oci/descriptor.js';
export { parseReference, formatReference, type Reference } from './oci/reference.js';
export { MediaType, Annotation } from './oci/media-types.js';

export type { Target, ReadOnlyTarget, IoOptions } from './content/target.js';
export { copy, copyGraphs, type CopyOptions, type CopyResult, type CopyStats } from './content/copy.js';
export type { CopyEvent } from './content/events.js';

export { Store } from './store/store-target.js';
export { listStore, type ListEntry } from './pack/list.js';
export { gc, type GcOptions, type GcReport } from './store/gc.js';
export { checkStore, type CheckReport } from './store/check.js';

export type { PackJson } from './pack/pack-json.js';
export { validatePackJson } from './pack/validate.js';
export { parseCatalogFile, type PackCatalog } from './sources/catalog-file.js';
export { buildPackFile, storePack, type BuiltPack } from './pack/build.js';
export { readPack, packSummary } from './pack/read.js';
export { inspectArtifact, type InspectResult } from './pack/inspect.js';

export { saveArchive, type SaveOptions } from './verbs/save.js';
export { loadArchive, type LoadOptions } from './verbs/load.js';
export { storeInventory } from './verbs/inventory.js';

export { installPack, type InstallOptions, type InstallResult } from './install/install.js';
export { uninstallPack, listInstalled } from './install/uninstall.js';
// admitUnderPolicy stays inside (reconcile's source policies): the public way to install is the store's own policy
export { storePolicyAdmission, type Admission, type StorePolicyFiles } from './install/admission.js';
