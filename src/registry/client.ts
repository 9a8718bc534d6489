import { Readable } from 'node:stream';
import { ScrydonError } from '../errors.js';
import { Authorizer } from './auth/authorizer.js';
import { parseChallenges, pickChallenge } from './auth/challenge.js';
import type { CredentialResolver } from './credentials/resolve.js';
import type { RegistryGate } from './gate.js';
import type { Credential } from './credentials/types.js';
import { apiHost, canonicalRegistry } from '../names/remote.js';
import { responseError } from './registry-error.js';
import type { HostSettings } from './settings.js';
import { discard, headerAll, type HttpMethod, type HttpResponse, type HttpTransport } from './transport/http.js';

interface ClientRequest {
  method: HttpMethod;
  /** A path under the registry (`/v2/…`) or an absolute URL (an upload Location). */
  url: string | URL;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** The repository whose credential applies, and the token scopes the request needs. */
  repository: string;
  scopes: readonly string[];
  signal?: AbortSignal | undefined;
  what: string;
  /** A large body (transport/http.ts HttpRequest.bulk). */
  bulk?: boolean;
}

interface RegistryClientOptions {
  registry: string;
  settings: HostSettings;
  transport: HttpTransport;
  credentials: CredentialResolver;
  settingsFor: (host: string) => HostSettings;
  /** Asked before every request to this registry (policy allow-list). */
  gate: RegistryGate;
}

/**
 * One registry: its base URL (https unless named plain-http), its auth state, and send() that authorizes a
 * request, answers one 401 challenge, and turns a second 401 into `auth_failed` naming the registry.
 */
export class RegistryClient {
  readonly registry: string;
  readonly base: URL;
  readonly settings: HostSettings;
  readonly transport: HttpTransport;
  readonly #auth: Authorizer;
  readonly #gate: RegistryGate;

  constructor(o: RegistryClientOptions) {
    this.registry = o.registry;
    this.#gate = o.gate;
    this.settings = o.settings;
    this.transport = o.transport;
    this.base = new URL(`${o.settings.plainHttp ? 'http' : 'https'}://${apiHost(o.registry)}`);
    const registryHostname = this.base.hostname;
    this.#auth = new Authorizer({
      registry: o.registry,
      transport: o.transport,
      credential: (repository) => o.credentials.resolve(o.registry, repository),
      sources: () => o.credentials.describeSources(),
      plainHttpAllowed: (host) =>
        o.settingsFor(host).plainHttp ||
        (o.settings.plainHttp && new URL(`http://${host}`).hostname === registryHostname),
    });
  }

  /** A redirect to another host is a connection to that host: it passes the gate too (blob storage included). */
  #onRedirect(what: string): (to: URL) => void {
    return (to) => this.#gate.admit(canonicalRegistry(to.host), `${what} (redirected to ${to.host})`);
  }

  url(path: string): URL {
    return new URL(path, this.base);
  }

  async send(req: ClientRequest): Promise<HttpResponse> {
    this.#gate.admit(this.registry, req.what);
    const url = typeof req.url === 'string' ? this.url(req.url) : req.url;
    const sendWith = async (scopes: readonly string[]): Promise<HttpResponse> => {
      const auth = await this.#auth.header(req.repository, scopes, req.signal);
      const headers = { ...(req.headers ?? {}), ...(auth ? { authorization: auth } : {}) };
      return this.transport.send({
        method: req.method,
        url,
        headers,
        ...(req.body ? { body: req.body } : {}),
        signal: req.signal,
        what: req.what,
        ...(req.bulk ? { bulk: true } : {}),
        onRedirect: this.#onRedirect(req.what),
      });
    };
    let res = await sendWith(req.scopes);
    if (res.status !== 401) return res;
    const { retry, scopes } = this.#auth.challenged(res, req.scopes);
    if (!retry || req.body instanceof Readable) throw await this.#refused(res, req);
    discard(res);
    res = await sendWith(scopes);
    if (res.status === 401) throw await this.#refused(res, req);
    return res;
  }

  async #refused(res: HttpResponse, req: ClientRequest): Promise<Error> {
    const e = headerAll(res, 'www-authenticate').length
      ? await this.#auth.failure(res, req.repository, req.what)
      : await responseError(res, { what: req.what, registry: this.registry });
    discard(res);
    return e;
  }

  /**
   * Checks a credential as `docker login` does: GET /v2/, answer its challenge with the credential, and
   * expect 200. Returns false when the registry asks for no authentication at all.
   */
  async verifyCredential(cred: Credential, signal?: AbortSignal): Promise<boolean> {
    const what = `logging in to ${this.registry}`;
    this.#gate.admit(this.registry, what);
    const first = await this.transport.send({ method: 'GET', url: this.url('/v2/'), signal, what });
    if (first.status === 200) {
      discard(first);
      return false;
    }
    if (first.status !== 401) throw await responseError(first, { what, registry: this.registry });
    const challenge = pickChallenge(parseChallenges(headerAll(first, 'www-authenticate')));
    if (!challenge) throw await responseError(first, { what, registry: this.registry });
    discard(first);
    const auth = await this.#auth.verify(cred, challenge, signal);
    const res = await this.transport.send({
      method: 'GET',
      url: this.url('/v2/'),
      headers: { authorization: auth },
      signal,
      what,
    });
    if (res.status === 200) {
      discard(res);
      return true;
    }
    if (res.status === 401) {
      discard(res);
      throw new ScrydonError('auth_failed', `${this.registry} refused the credentials from ${cred.source}`, {
        hint: 'check the user name and password',
      });
    }
    throw await responseError(res, { what, registry: this.registry });
  }
}
