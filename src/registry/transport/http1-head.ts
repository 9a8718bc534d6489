import type { IncomingHttpHeaders } from 'node:http';

/** A response's status line and headers (RFC 9112 §4–5), as bulk-get.ts reads them off its socket. */
interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A response head larger than this is refused (Node's own limit is 16 KiB; registries send ~1 KiB). */
export const MAX_HEAD_BYTES = 64 << 10;

/** Headers that can only have one value: the first one counts, as with node:http. */
const SINGLE: ReadonlySet<string> = new Set([
  'content-length',
  'content-type',
  'location',
  'retry-after',
  'content-range',
  'etag',
  'docker-content-digest',
]);

const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [^\r\n]*)?$/;
/** A header name (RFC 9110 token). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function malformed(message: string): Error {
  return Object.assign(new Error(`malformed HTTP response: ${message}`), { code: 'HPE_INVALID_RESPONSE' });
}

/**
 * The offset just past the blank line that ends the head starting at `start`, searching the lines that end
 * in buf[from, to); -1 while it is incomplete. A line ended by LF alone is refused (node:http refuses it too).
 */
export function headEnd(buf: Buffer, start: number, from: number, to: number): number {
  const view = buf.subarray(0, to);
  for (let i = view.indexOf(10, from); i >= 0; i = view.indexOf(10, i + 1)) {
    if (i === start || view[i - 1] !== 13) throw malformed('a line ends without CR');
    if (i - 3 >= start && view[i - 2] === 10 && view[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Parses a head (status line, header lines, the blank line); repeated headers become arrays. */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) throw malformed(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>; // a header named __proto__ is just a header
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw malformed(`header line ${JSON.stringify(line.slice(0, 60))}`); // also obsolete line folding
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''); // optional whitespace is space and tab only
    if (/[\0\r\n]/.test(value)) throw malformed(`header ${name}`);
    const had = headers[name];
    if (had === undefined) headers[name] = value;
    else if (!SINGLE.has(name)) headers[name] = Array.isArray(had) ? [...had, value] : [had, value];
    else if (name === 'content-length' && had !== value) throw malformed('conflicting Content-Length headers');
  }
  return { status: Number(m[1]), headers: headers as IncomingHttpHeaders };
}

/** How the body after a head is delimited (RFC 9112 §6.3), for a GET. */
export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export function framingOf(head: ResponseHead): Framing {
  if (head.status === 204 || head.status === 304) return { kind: 'none' };
  const te = head.headers['transfer-encoding'];
  if (te !== undefined) {
    const codings = (Array.isArray(te) ? te.join(',') : te).split(',').map((s) => s.trim().toLowerCase());
    return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  }
  const cl = head.headers['content-length'];
  if (cl === undefined) return { kind: 'close' };
  if (!/^\d{1,15}$/.test(cl)) throw malformed(`Content-Length ${JSON.stringify(cl.slice(0, 20))}`);
  return { kind: 'length', length: Number(cl) };
}
