/**
 * The distribution spec's error codes and body: `{"errors":[{"code","message","detail"}]}`. A server-side
 * failure that has no spec code is `UNKNOWN` (as distribution answers).
 */
const OciErrorCode = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  PAGINATION_NUMBER_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNKNOWN: 500,
} as const;

type OciErrorCode = keyof typeof OciErrorCode;

export class OciHttpError extends Error {
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;

  constructor(code: OciErrorCode, message: string, detail?: unknown, status?: number) {
    super(message);
    this.name = 'OciHttpError';
    this.code = code;
    this.status = status ?? OciErrorCode[code];
    this.detail = detail;
  }
}

/** The JSON body of an error response. */
export function errorBody(e: OciHttpError): string {
  const entry: { code: string; message: string; detail?: unknown } = { code: e.code, message: e.message };
  if (e.detail !== undefined) entry.detail = e.detail;
  return JSON.stringify({ errors: [entry] });
}
