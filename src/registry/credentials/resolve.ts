import { ScrydonError } from '../../errors.js';
import { canonicalRegistry } from '../../names/remote.js';
import {
  decodeAuthEntry,
  findAuthEntry,
  helperFor,
  helperServerUrl,
  readAuthFile,
  type AuthFile,
} from './docker-config.js';
import { helperGet } from './helper.js';
import type { SecretStore } from './secret-store.js';
import { registrySecretKey, type Credential } from './types.js';

export interface CredentialSources {
  /**
   * `--username` with `--password-stdin`, for the registries the command names (or a source's own credential:
   * `source` and `fix` then say so in errors).
   */
  flags?: { username: string; password: string; registries: readonly string[]; source?: string; fix?: string };
  /** Docker and Podman auth files, in the order they are consulted. */
  authFiles: readonly string[];
  /** scrydon's own store (opened lazily: reaching a keychain takes time). */
  secrets?: () => Promise<SecretStore>;
  /** Environment for credential helpers (PATH, HOME…); inherited when absent. */
  helperEnv?: NodeJS.ProcessEnv;
}

/** A login as scrydon stores it (JSON in the secret store under `registry-<host>`). */
interface StoredLogin {
  username: string;
  password: string;
}

export function encodeLogin(l: StoredLogin): string {
  return JSON.stringify({ username: l.username, password: l.password });
}

function decodeLogin(value: string, key: string): StoredLogin {
  try {
    const v = JSON.parse(value) as { username?: unknown; password?: unknown };
    if (typeof v.username === 'string' && typeof v.password === 'string')
      return { username: v.username, password: v.password };
  } catch {
    /* fall through */
  }
  throw new ScrydonError('config_invalid', `the stored login ${key} is unreadable`, { hint: 'log in again' });
}

/**
 * Finds the credential for a repository, in this order: command-line flags; scrydon's own store (a `scrydon login`
 * is the newest word on a registry, so a stale Docker login never shadows it); Docker and Podman auth files
 * (`credHelpers` for the registry, then a stored `auths` entry, then `credsStore`).
 * Asked only when a registry challenges, so anonymous pulls never run a helper. Results are cached per run.
 */
export class CredentialResolver {
  readonly #sources: CredentialSources;
  readonly #cache = new Map<string, Promise<Credential | undefined>>();
  #files: Promise<AuthFile[]> | undefined;

  constructor(sources: CredentialSources) {
    this.#sources = sources;
  }

  resolve(registry: string, repository = ''): Promise<Credential | undefined> {
    const key = `${canonicalRegistry(registry)}/${repository}`;
    let p = this.#cache.get(key);
    if (!p) {
      p = this.#find(canonicalRegistry(registry), repository);
      this.#cache.set(key, p);
    }
    return p;
  }

  /** Where credentials were looked for, for an error that says none were found. */
  describeSources(): string {
    return [
      ...(this.#sources.flags ? ['--username'] : []),
      ...(this.#sources.secrets ? ['scrydon login'] : []),
      ...this.#sources.authFiles,
    ].join(', ');
  }

  async #find(registry: string, repository: string): Promise<Credential | undefined> {
    const f = this.#sources.flags;
    if (f && f.registries.map(canonicalRegistry).includes(registry)) {
      return {
        kind: 'basic',
        username: f.username,
        password: f.password,
        source: f.source ?? '--username/--password-stdin',
        ...(f.fix ? { fix: f.fix } : {}),
      };
    }
    if (this.#sources.secrets) {
      const key = registrySecretKey(registry);
      const value = await (await this.#sources.secrets()).get(key);
      if (value !== undefined) {
        const l = decodeLogin(value, key);
        return { kind: 'basic', username: l.username, password: l.password, source: 'scrydon login' };
      }
    }
    this.#files ??= Promise.all(this.#sources.authFiles.map(readAuthFile)).then((fs) =>
      fs.filter((x): x is AuthFile => x !== undefined),
    );
    for (const file of await this.#files) {
      const found = await this.#fromFile(file, registry, repository);
      if (found) return found;
    }
    return undefined;
  }

  async #fromFile(file: AuthFile, registry: string, repository: string): Promise<Credential | undefined> {
    const helper = helperFor(file, registry);
    if (helper) {
      const c = await this.#helper(helper, registry, file.path);
      if (c) return c;
    }
    const entry = findAuthEntry(file, registry, repository);
    if (entry) {
      const d = decodeAuthEntry(entry, file.path);
      if (d.identityToken)
        return { kind: 'identity-token', username: d.username, token: d.identityToken, source: file.path };
      if (d.password !== undefined)
        return { kind: 'basic', username: d.username, password: d.password, source: file.path };
    }
    if (file.credsStore && !helper) return this.#helper(file.credsStore, registry, file.path);
    return undefined;
  }

  async #helper(name: string, registry: string, configPath: string): Promise<Credential | undefined> {
    const got = await helperGet(name, helperServerUrl(registry), configPath, this.#sources.helperEnv);
    if (!got) return undefined;
    const source = `docker-credential-${name}`;
    // Docker's convention: the user name `<token>` marks an identity (refresh) token
    if (got.username === '<token>') return { kind: 'identity-token', username: '', token: got.secret, source };
    return { kind: 'basic', username: got.username, password: got.secret, source };
  }
}
