import { ScrydonError } from '../../errors.js';
import type { Credential } from '../credentials/types.js';
import { basicHeader, refusedCredentialHint } from '../credentials/types.js';
import { readSmallBody } from '../registry-error.js';
import { discard, type HttpResponse, type HttpTransport } from '../transport/http.js';
import { formatScopes, type ScopeSet } from './scope.js';

/** A bearer token and what it is good for. */
export interface Token {
  value: string;
  /** Epoch ms after which it is not used (a margin before its real expiry). */
  expiresAt: number;
  scopes: ScopeSet;
}

interface TokenRequest {
  realm: URL;
  service: string | undefined;
  scopes: ScopeSet;
  credential: Credential | undefined;
  registry: string;
  signal?: AbortSignal | undefined;
}

/** Token responses are small; oras-go caps them at 128 KiB too. */
const MAX_TOKEN_RESPONSE = 128 * 1024;
/** The docker token spec's default lifetime when the server gives none. */
const DEFAULT_EXPIRES_S = 60;

/**
 * Asks the realm for a token (Docker's token protocol): GET with Basic credentials (or none, anonymously), or
 * for an identity token the OAuth2 refresh_token grant by POST. Errors name the registry and the credential's
 * source, never the secret.
 */
export async function fetchToken(transport: HttpTransport, r: TokenRequest): Promise<Token> {
  const scopes = formatScopes(r.scopes);
  const what = `getting a token for ${r.registry} from ${r.realm.host}`;
  let res: HttpResponse;
  if (r.credential?.kind === 'identity-token') {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: r.credential.token,
      client_id: 'scrydon',
    });
    if (r.service) form.set('service', r.service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    res = await transport.send({
      method: 'POST',
      url: r.realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
      signal: r.signal,
      what,
    });
  } else {
    const url = new URL(r.realm);
    if (r.service) url.searchParams.set('service', r.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (r.credential) headers.authorization = basicHeader(r.credential);
    res = await transport.send({ method: 'GET', url, headers, signal: r.signal, what });
  }
  if (res.status === 401 || res.status === 403) {
    discard(res);
    const from = r.credential ? `the credentials from ${r.credential.source}` : 'anonymous access';
    throw new ScrydonError(
      res.status === 401 ? 'auth_failed' : 'access_denied',
      `${r.registry}: the token service at ${r.realm.host} refused ${from} (${res.status})`,
      {
        hint: r.credential
          ? refusedCredentialHint(r.registry, r.credential)
          : `log in first: scrydon login ${r.registry}`,
      },
    );
  }
  if (res.status !== 200) {
    discard(res);
    throw new ScrydonError('registry_error', `${what}: the token service answered ${res.status}`);
  }
  const body = await readSmallBody(res, MAX_TOKEN_RESPONSE, what);
  let v: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    v = JSON.parse(body.toString('utf8')) as typeof v;
  } catch {
    throw new ScrydonError('registry_error', `${what}: the token response is not JSON`);
  }
  const value =
    typeof v.token === 'string' && v.token ? v.token : typeof v.access_token === 'string' ? v.access_token : '';
  if (!value) throw new ScrydonError('registry_error', `${what}: the token response holds no token`);
  const expiresIn = typeof v.expires_in === 'number' && v.expires_in > 0 ? v.expires_in : DEFAULT_EXPIRES_S;
  const issued = typeof v.issued_at === 'string' ? Date.parse(v.issued_at) : NaN;
  const start = Number.isNaN(issued) ? Date.now() : Math.min(issued, Date.now());
  return { value, expiresAt: start + expiresIn * 1000 - Math.min(10_000, expiresIn * 250), scopes: r.scopes };
}
