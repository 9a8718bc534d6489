/**
 * The layer order of scrydon's code, lowest first: the one table test/unit/import-graph.test.ts checks every
 * static and dynamic import against, and ARCHITECTURE.md lists in the same order. A unit (a folder, or a file
 * at the top of src/) may import from itself and from any unit on a lower row; units on one row are peers that
 * never import each other (the transports: the registry client and the archive format know nothing of each
 * other or of the store, as ggcr's `remote` and `layout` do not).
 */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ['src/errors.ts', 'src/text-order.ts', 'src/sleep.ts', 'src/fast-paths.ts', 'src/heap-policy.ts', 'src/json-text.ts'],
  ['src/oci'],
  ['src/names'],
  ['src/fs'],
  ['src/config'],
  ['src/content'],
  ['src/registry', 'src/archive'],
  ['src/store'],
  ['src/pack'],
  ['src/signature'],
  ['src/install'],
  ['src/verbs'],
  ['src/sources'],
  ['src/site'],
  ['src/reconcile'],
  ['src/serve'],
  ['src/index.ts'],
  ['cmd'],
];

/**
 * Imports that break the order today, each with the work that removes it. The test fails when one of these
 * is gone (so the list only shrinks) as well as when a new one appears.
 */
export const KNOWN_EXCEPTIONS: ReadonlyArray<string> = [];
