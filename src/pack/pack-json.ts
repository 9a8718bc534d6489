/**
 * pack.json: what a pack is and how it installs. The JSON Schema is catalog-spec/pack.schema.json;
 * src/pack/validate.ts checks a value against it (and the cross-field rules) and returns this type.
 */
export const CONTENT_KINDS = [
  'ontology',
  'process-flow',
  'workflow',
  'data-source',
  'integration',
  'dashboard',
] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

export interface PackContent {
  kind: ContentKind;
  /** A relative POSIX path inside the pack: a directory, or for `integration` a `.tar.gz` bundle file. */
  path: string;
  description?: string;
}

export interface PackJson {
  schemaVersion: 1;
  package: {
    /** Dotted lowercase, e.g. `acme.fraud`. */
    id: string;
    /** Semver. */
    version: string;
    name?: string;
    description?: string;
  };
  contents: PackContent[];
  /** Exactly the kinds present in `contents`, each once, in the order they install. */
  installOrder: ContentKind[];
  /** Pack id → semver range. */
  dependencies?: Record<string, string>;
}

/** Pack size limits: 8 MiB per integration bundle, 50 MiB per pack (configurable). */
export const INTEGRATION_BUNDLE_MAX_BYTES = 8 * 1024 * 1024;
export const PACK_MAX_BYTES_DEFAULT = 50 * 1024 * 1024;
/** Largest pack.json read (from a directory, a config blob or a layer). */
export const PACK_JSON_MAX_BYTES = 1024 * 1024;
