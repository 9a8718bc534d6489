import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, type OciHttpError } from './oci-error.js';

/** One request being answered. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** A HEAD request: headers as for GET, no body. */
  head: boolean;
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal;
}

type Headers = Record<string, string | number>;

/** Sets the headers one by one (so the access log can read Content-Length back) and sends the status line. */
export function writeHead(x: Exchange, status: number, headers: Headers): void {
  for (const [k, v] of Object.entries(headers)) x.res.setHeader(k, v);
  x.res.writeHead(status);
}

/** Sends a small body whole (manifests, JSON, the page); HEAD gets the same headers and no body. */
export function sendBytes(x: Exchange, status: number, headers: Headers, body: Buffer | string): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  writeHead(x, status, { ...headers, 'content-length': buf.byteLength });
  x.res.end(x.head ? undefined : buf);
}

export function sendJson(x: Exchange, status: number, value: unknown, headers: Headers = {}): void {
  sendBytes(x, status, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
}

/** An error in the distribution spec's format (HEAD: status and headers only). */
export function sendOciError(x: Exchange, e: OciHttpError, headers: Headers = {}): void {
  sendBytes(x, e.status, { 'content-type': 'application/json; charset=utf-8', ...headers }, errorBody(e));
}
