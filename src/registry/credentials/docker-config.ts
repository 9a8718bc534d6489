import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../../errors.js';
import { canonicalRegistry, DOCKER_HUB } from '../../names/remote.js';

/** One entry of `auths` in a Docker config.json or a Podman auth.json. */
export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** The parts of a Docker `config.json` / Podman `auth.json` that hold credentials. */
export interface AuthFile {
  path: string;
  auths: ReadonlyMap<string, AuthEntry>;
  credHelpers: ReadonlyMap<string, string>;
  credsStore?: string;
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The registry (and repository path, for Podman's per-repository keys) an `auths` key stands for. Docker's keys
 * are URLs (`https://index.docker.io/v1/`) or hosts; Podman's may be `host/namespace/repo`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.trim();
  const hadScheme = /^https?:\/\//i.test(k);
  k = k.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = canonicalRegistry(slash < 0 ? k : k.slice(0, slash));
  const path = slash < 0 ? '' : k.slice(slash + 1);
  if (hadScheme || /^v[12]$/.test(path) || path === '') return host;
  return `${host}/${path}`;
}

function stringMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v as Record<string, unknown>))
    if (typeof val === 'string' && val) out.set(normalizeAuthKey(k), val);
  return out;
}

export function parseAuthFile(text: string, path: string): AuthFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ScrydonError('config_invalid', `${path} is not valid JSON (${(e as Error).message})`, {
      hint: 'fix or remove the file',
    });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ScrydonError('config_invalid', `${path} is not a JSON object`);
  const o = v as Record<string, unknown>;
  const auths = new Map<string, AuthEntry>();
  if (typeof o.auths === 'object' && o.auths !== null && !Array.isArray(o.auths)) {
    for (const [k, e] of Object.entries(o.auths as Record<string, unknown>)) {
      if (typeof e !== 'object' || e === null) continue;
      const r = e as Record<string, unknown>;
      const entry: AuthEntry = {};
      for (const f of ['auth', 'username', 'password', 'identitytoken'] as const)
        if (typeof r[f] === 'string' && r[f] !== '') entry[f] = r[f] as string;
      auths.set(normalizeAuthKey(k), entry);
    }
  }
  const file: AuthFile = { path, auths, credHelpers: stringMap(o.credHelpers) };
  if (typeof o.credsStore === 'string' && o.credsStore !== '') file.credsStore = o.credsStore;
  return file;
}

/** Reads an auth file; undefined when it does not exist. */
export async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  if (text.length > MAX_FILE_BYTES) throw new ScrydonError('config_invalid', `${path} is over ${MAX_FILE_BYTES} bytes`);
  return parseAuthFile(text, path);
}

/** Keys to try for `registry/repository`, most specific first (Podman's rule), ending with the registry itself. */
export function lookupKeys(registry: string, repository: string): string[] {
  const host = canonicalRegistry(registry);
  const parts = repository.split('/').filter(Boolean);
  const keys: string[] = [];
  for (let n = parts.length; n > 0; n--) keys.push(`${host}/${parts.slice(0, n).join('/')}`);
  keys.push(host);
  return keys;
}

/** The `auths` entry for a repository, if any holds a credential. */
export function findAuthEntry(f: AuthFile, registry: string, repository: string): AuthEntry | undefined {
  for (const k of lookupKeys(registry, repository)) {
    const e = f.auths.get(k);
    if (e && (e.auth || e.identitytoken || (e.username && e.password))) return e;
  }
  return undefined;
}

/** The credential helper named for this registry in `credHelpers`, if any. */
export function helperFor(f: AuthFile, registry: string): string | undefined {
  return f.credHelpers.get(canonicalRegistry(registry));
}

/** The server URL a credential helper is asked about (Docker Hub's is historic). */
export function helperServerUrl(registry: string): string {
  return canonicalRegistry(registry) === DOCKER_HUB ? 'https://index.docker.io/v1/' : canonicalRegistry(registry);
}

/** Decodes an `auths` entry: `auth` is base64 of `user:password`. */
export function decodeAuthEntry(
  e: AuthEntry,
  path: string,
): { username: string; password?: string; identityToken?: string } {
  let username = e.username ?? '';
  let password = e.password;
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ScrydonError('config_invalid', `${path}: an "auth" value is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return {
    username,
    ...(password !== undefined ? { password } : {}),
    ...(e.identitytoken ? { identityToken: e.identitytoken } : {}),
  };
}
