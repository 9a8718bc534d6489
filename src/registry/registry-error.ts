import { ScrydonError, type ErrorCode } from '../errors.js';
import { discard, header, type HttpResponse } from './transport/http.js';
import { bodyError } from './transport/net-errors.js';

/** Error bodies are read up to this much (go-containerregistry caps them at 64 KiB too). */
const MAX_ERROR_BODY = 64 * 1024;

/** A URL for messages: no query (upload URLs carry signed state there), no user info. */
function displayUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Reads a small response body whole, refusing more than `limit` bytes (token, error and referrers bodies). */
export async function readSmallBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(header(res, 'content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    discard(res);
    throw new ScrydonError(
      'size_limit_exceeded',
      `${what}: the response is ${declared} bytes, over the ${limit}-byte limit`,
    );
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of res.body) {
      const b = c as Buffer;
      n += b.byteLength;
      if (n > limit) {
        res.body.destroy();
        throw new ScrydonError('size_limit_exceeded', `${what}: the response is over the ${limit}-byte limit`);
      }
      chunks.push(b);
    }
  } catch (e) {
    throw bodyError(e, what, res.url.host); // a cut, a stall (timeout) or the deadline, named
  }
  return Buffer.concat(chunks);
}

/** The body of an error response (bounded), and its distribution error codes and messages (`{"errors":[{"code","message"}]}`) on one line. */
async function errorSummary(res: HttpResponse): Promise<{ text: string; summary: string }> {
  if (res.body.readableEnded) return { text: '', summary: '' };
  let text: string;
  try {
    text = (await readSmallBody(res, MAX_ERROR_BODY, 'error body')).toString('utf8');
  } catch {
    return { text: '', summary: '' };
  }
  try {
    const v = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    if (Array.isArray(v.errors) && v.errors.length > 0) {
      const summary = v.errors
        .slice(0, 3)
        .map((e) =>
          [typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : '']
            .filter(Boolean)
            .join(' '),
        )
        .join('; ')
        .slice(0, 300);
      return { text, summary };
    }
  } catch {
    /* not JSON: say nothing of it (an HTML error page is noise) */
  }
  return { text, summary: '' };
}

interface ResponseErrorContext {
  /** What was being done: `fetching blob sha256:… from 127.0.0.1:5000/acme/fraud`. */
  what: string;
  registry: string;
  /** The code for a failure that is not about auth or absence (fetch_failed on downloads, push_failed on uploads). */
  code?: ErrorCode;
}

/** Turns an unexpected response into the stable error: 401 auth_failed, 403 access_denied, 404 not_found, else ctx.code. */
export async function responseError(res: HttpResponse, ctx: ResponseErrorContext): Promise<ScrydonError> {
  const { text, summary } = await errorSummary(res);
  if (res.status === 400 && res.url.protocol === 'http:' && /HTTPS server/i.test(text)) {
    return new ScrydonError(
      'tls_error',
      `${ctx.registry} serves HTTPS, and was asked in plain HTTP while ${ctx.what}`,
      {
        hint: `drop --plain-http (and plainHttp in registries.yaml) for ${ctx.registry}`,
      },
    );
  }
  const where = `${res.status}${summary ? ` ${summary}` : ''}`;
  const at = displayUrl(res.url);
  if (res.status === 401) {
    return new ScrydonError('auth_failed', `${ctx.registry} refused the credentials while ${ctx.what} (${where})`, {
      hint: `log in with: scrydon login ${ctx.registry}`,
    });
  }
  if (res.status === 403) {
    return new ScrydonError('access_denied', `${ctx.registry} denied access while ${ctx.what} (${where})`, {
      hint: 'the credentials are valid but lack permission for this repository (pull or push)',
    });
  }
  if (res.status === 404) return new ScrydonError('not_found', `${ctx.what}: not found on ${ctx.registry} (${where})`);
  if (res.status === 400 && /\bDIGEST_INVALID\b/.test(summary)) {
    // the registry hashed what it received (a push leaves that check to it) and it does not match
    return new ScrydonError('digest_mismatch', `${ctx.what}: ${res.url.host} answered ${where} for ${at}`, {
      hint: 'the bytes sent do not match their digest: run scrydon check (a damaged blob in the store), then retry',
    });
  }
  return new ScrydonError(ctx.code ?? 'registry_error', `${ctx.what}: ${res.url.host} answered ${where} for ${at}`, {
    ...(res.status >= 500 ? { hint: 'the registry failed; retries ran out, try again later' } : {}),
  });
}
