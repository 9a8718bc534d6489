/**
 * The one switch for the fast twins of plain code paths: the hand-written HTTP/1.1 bulk GET of large blobs
 * (registry/transport/bulk-get.ts, twin of node:http), file bodies that push their chunks into a writer
 * (content/file-range-body.ts, twin of iterating the stream), small blobs read and staged whole (save's store reads,
 * the archive's read-ahead windows, staging's small-blob writes: content/buffer-body.ts), and the command-line fast path
 * (cmd/fast-argv.ts, twin of yargs). Off (`SCRYDON_FAST_PATHS=0`, read by cmd/main.ts), every one takes its
 * plain path; CI runs the registry and archive tests that way too, so each twin is proven equal to its plain path.
 */
let enabled = true;

export function fastPaths(): boolean {
  return enabled;
}

export function setFastPaths(on: boolean): void {
  enabled = on;
}
