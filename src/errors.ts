/**
 * ScrydonError and the stable error codes. This table is the single source of codes;
 * catalog-spec/error-codes.md lists the same set (a test keeps the two in step).
 */
export const ErrorCode = {
  usage: 'usage',
  internal: 'internal',
  io_error: 'io_error',
  invalid_reference: 'invalid_reference',
  not_found: 'not_found',
  ambiguous_reference: 'ambiguous_reference',
  digest_mismatch: 'digest_mismatch',
  size_mismatch: 'size_mismatch',
  size_limit_exceeded: 'size_limit_exceeded',
  manifest_invalid: 'manifest_invalid',
  unsupported_media_type: 'unsupported_media_type',
  blob_missing: 'blob_missing',
  store_invalid: 'store_invalid',
  lock_timeout: 'lock_timeout',
  pack_invalid: 'pack_invalid',
  catalog_invalid: 'catalog_invalid',
  unsafe_path: 'unsafe_path',
  unsafe_entry: 'unsafe_entry',
  archive_invalid: 'archive_invalid',
  archive_truncated: 'archive_truncated',
  inventory_missing_blobs: 'inventory_missing_blobs',
  inventory_invalid: 'inventory_invalid',
  not_installed: 'not_installed',
  install_failed: 'install_failed',
  dependency_unsatisfied: 'dependency_unsatisfied',
  dependency_cycle: 'dependency_cycle',
  state_invalid: 'state_invalid',
  check_failed: 'check_failed',
  aborted: 'aborted',
  unsupported_runtime: 'unsupported_runtime',
  // registries
  network_error: 'network_error',
  timeout: 'timeout',
  tls_error: 'tls_error',
  proxy_error: 'proxy_error',
  auth_failed: 'auth_failed',
  access_denied: 'access_denied',
  credential_helper_failed: 'credential_helper_failed',
  registry_error: 'registry_error',
  fetch_failed: 'fetch_failed',
  push_failed: 'push_failed',
  referrers_unsupported: 'referrers_unsupported',
  config_invalid: 'config_invalid',
  // signatures
  key_invalid: 'key_invalid',
  key_unsupported: 'key_unsupported',
  key_password: 'key_password',
  key_params_unsupported: 'key_params_unsupported',
  key_mismatch: 'key_mismatch',
  trust_missing: 'trust_missing',
  trust_invalid: 'trust_invalid',
  signature_not_found: 'signature_not_found',
  signature_unsupported: 'signature_unsupported',
  signature_invalid: 'signature_invalid',
  claim_mismatch: 'claim_mismatch',
  attestation_not_found: 'attestation_not_found',
  certificate_mismatch: 'certificate_mismatch',
  predicate_mismatch: 'predicate_mismatch',
  identity_mismatch: 'identity_mismatch',
  issuer_mismatch: 'issuer_mismatch',
  certificate_expired: 'certificate_expired',
  certificate_untrusted: 'certificate_untrusted',
  tlog_invalid: 'tlog_invalid',
  tlog_mismatch: 'tlog_mismatch',
  timestamp_missing: 'timestamp_missing',
  timestamp_invalid: 'timestamp_invalid',
  policy_invalid: 'policy_invalid',
  verify_failed: 'verify_failed',
  registry_not_allowed: 'registry_not_allowed',
  // serve
  address_in_use: 'address_in_use',
  htpasswd_invalid: 'htpasswd_invalid',
  // sources and reconcile
  parse_failed: 'parse_failed',
  source_not_found: 'source_not_found',
  source_exists: 'source_exists',
  reconcile_busy: 'reconcile_busy',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type ErrorDetails = Readonly<Record<string, string | number | boolean>>;

interface ScrydonErrorOptions {
  hint?: string;
  cause?: unknown;
  details?: ErrorDetails;
}

export class ScrydonError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, opts: ScrydonErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ScrydonError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

export function isScrydonError(e: unknown, code?: ErrorCode): e is ScrydonError {
  return e instanceof ScrydonError && (code === undefined || e.code === code);
}

/** Node's AbortError, or any error carrying name AbortError, becomes the stable `aborted` code. */
export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: unknown }).code === 'ABORT_ERR');
}
