/** A `Range: bytes=…` request against a blob of `size` bytes (RFC 9110 §14): one range only. */
type RangeRequest = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Whether a Range header stands after the request's If-Range (RFC 9110 §13.1.5): none given, or exactly the
 * blob's strong entity tag `etag`. Anything else does not match and the Range is ignored (the whole blob, 200):
 * a weak tag (If-Range compares strongly), another tag, and any date, as blobs carry no Last-Modified.
 */
export function rangeApplies(ifRange: string | readonly string[] | undefined, etag: string): boolean {
  return ifRange === undefined || (typeof ifRange === 'string' && ifRange.trim() === etag);
}

/**
 * Parses a Range header. Absent, not `bytes`, malformed or a multi-range request: the whole blob (a server
 * may ignore Range). A single range past the end, or an empty blob: unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'full' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  const last = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(last) || last < start) return { kind: 'full' };
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
