/** Tar archives holding an OCI image layout: save writes one, load reads one, inventories make deltas. */
export { ArchiveReader } from './archive-reader.js';
export { ArchiveWriter, type ArchiveWriterOptions } from './archive-writer.js';
export { fileSink, streamSink, type ArchiveSink } from './archive-sink.js';
export { EXCLUDED_INVENTORY_ANNOTATION } from './archive-layout.js';
export { saveArchive, type SaveOptions, type SaveResult } from './save.js';
export { spoolToFile, type Spooled } from './spool.js';
export { indexTar, safeName, type TarEntry, type TarIndex } from './tar-index.js';
