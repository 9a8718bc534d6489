import { ScrydonError } from '../../errors.js';
import type { Credential } from '../credentials/types.js';
import { basicHeader, refusedCredentialHint } from '../credentials/types.js';
import { headerAll, type HttpResponse, type HttpTransport } from '../transport/http.js';
import { parseChallenges, pickChallenge, type Challenge } from './challenge.js';
import { covers, parseScopes, union, type ScopeSet } from './scope.js';
import { fetchToken, type Token } from './token.js';

interface AuthorizerOptions {
  registry: string;
  transport: HttpTransport;
  /** The credential for a repository of this registry (looked up only once a challenge asks for one). */
  credential: (repository: string) => Promise<Credential | undefined>;
  /** Where credentials were looked for, for "none found" errors. */
  sources: () => string;
  /** Whether credentials may be sent to this realm over plain http (only to hosts named plain-http). */
  plainHttpAllowed: (host: string) => boolean;
}

/**
 * The auth state of one registry: which scheme it challenges with, and a cache of bearer tokens by scope.
 * The first request goes out anonymously; a 401 teaches the scheme; the request is sent once more with
 * Basic credentials or a token for the scopes it needs (the challenge's scope added).
 */
export class Authorizer {
  readonly #o: AuthorizerOptions;
  #challenge: Challenge | undefined;
  #tokens: Token[] = [];
  readonly #pending = new Map<string, Promise<Token>>();

  constructor(o: AuthorizerOptions) {
    this.#o = o;
  }

  /** The Authorization header for a request needing `scopes` on `repository`; undefined before any challenge. */
  async header(repository: string, scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const c = this.#challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const cred = await this.#o.credential(repository);
      if (!cred) return undefined;
      if (cred.kind !== 'basic')
        throw new ScrydonError(
          'auth_failed',
          `${this.#o.registry} asks for Basic auth, and the credential from ${cred.source} is an identity token`,
        );
      return basicHeader(cred);
    }
    const want = parseScopes(scopes);
    const now = Date.now();
    this.#tokens = this.#tokens.filter((t) => t.expiresAt > now);
    const hit = this.#tokens.find((t) => covers(t.scopes, want));
    if (hit) return `Bearer ${hit.value}`;
    return `Bearer ${(await this.#token(repository, want, signal)).value}`;
  }

  /** Learns from a 401: the scheme, and the scope the registry asked for. True when a retry may succeed. */
  challenged(res: HttpResponse, scopes: readonly string[]): { retry: boolean; scopes: string[] } {
    const c = pickChallenge(parseChallenges(headerAll(res, 'www-authenticate')));
    if (!c) return { retry: false, scopes: [...scopes] };
    const asked = c.params.scope ? [c.params.scope] : [];
    const all = [...scopes, ...asked];
    if (c.scheme === 'bearer') {
      // a token that was refused is of no more use
      const want = parseScopes(all);
      this.#tokens = this.#tokens.filter((t) => !covers(t.scopes, want));
    }
    const known = this.#challenge;
    this.#challenge = c;
    return { retry: !known || known.scheme !== c.scheme || c.scheme === 'bearer', scopes: all };
  }

  /** The error for a request still refused after answering the challenge. */
  async failure(res: HttpResponse, repository: string, what: string): Promise<ScrydonError> {
    const cred = await this.#o.credential(repository).catch(() => undefined);
    const c = pickChallenge(parseChallenges(headerAll(res, 'www-authenticate')));
    const insufficient = c?.params.error === 'insufficient_scope';
    if (!cred) {
      return new ScrydonError(
        'auth_failed',
        `${this.#o.registry} requires authentication while ${what}, and no credentials were found (looked in: ${this.#o.sources()})`,
        {
          hint: `log in with: scrydon login ${this.#o.registry}`,
        },
      );
    }
    if (insufficient) {
      return new ScrydonError(
        'access_denied',
        `${this.#o.registry} denied ${what} to the credentials from ${cred.source}`,
        {
          hint: 'the credentials are valid but lack permission for this repository (pull or push)',
        },
      );
    }
    return new ScrydonError(
      'auth_failed',
      `${this.#o.registry} refused the credentials from ${cred.source} while ${what}`,
      {
        hint: refusedCredentialHint(this.#o.registry, cred),
      },
    );
  }

  /** Checks a credential the way `docker login` does: against the registry's base endpoint's challenge. */
  async verify(cred: Credential, challenge: Challenge, signal?: AbortSignal): Promise<string> {
    this.#challenge = challenge;
    if (challenge.scheme === 'basic') {
      if (cred.kind !== 'basic')
        throw new ScrydonError('usage', `${this.#o.registry} uses Basic auth; an identity token cannot be used`);
      return basicHeader(cred);
    }
    const t = await this.#fetch(cred, new Map(), signal);
    return `Bearer ${t.value}`;
  }

  async #token(repository: string, want: ScopeSet, signal: AbortSignal | undefined): Promise<Token> {
    const asked = this.#challenge?.params.scope;
    const scopes = asked ? union(want, parseScopes([asked])) : want;
    const key = [...scopes]
      .map(([k, v]) => `${k}:${[...v].sort().join(',')}`)
      .sort()
      .join(' ');
    let p = this.#pending.get(key);
    if (!p) {
      p = (async () => this.#fetch(await this.#o.credential(repository), scopes, signal))();
      this.#pending.set(key, p);
      p.then((t) => this.#tokens.push(t))
        .catch(() => undefined)
        .finally(() => this.#pending.delete(key));
    }
    return p;
  }

  async #fetch(cred: Credential | undefined, scopes: ScopeSet, signal: AbortSignal | undefined): Promise<Token> {
    const c = this.#challenge;
    const realmText = c?.params.realm;
    if (!c || !realmText)
      throw new ScrydonError('registry_error', `${this.#o.registry} sent a Bearer challenge without a realm`);
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new ScrydonError('registry_error', `${this.#o.registry} sent a Bearer realm that is not a URL`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:')
      throw new ScrydonError(
        'registry_error',
        `${this.#o.registry}: token realm scheme ${realm.protocol} is not http(s)`,
      );
    if (cred && realm.protocol === 'http:' && !this.#o.plainHttpAllowed(realm.host)) {
      throw new ScrydonError(
        'auth_failed',
        `${this.#o.registry} asks for credentials to be sent over plain http to ${realm.host}; refused`,
        {
          hint: `if this is a test registry, name it with --plain-http`,
        },
      );
    }
    return fetchToken(this.#o.transport, {
      realm,
      service: c.params.service,
      scopes,
      credential: cred,
      registry: this.#o.registry,
      signal,
    });
  }
}
