import { ScrydonError } from '../errors.js';
import { encodeLogin } from './credentials/resolve.js';
import type { SecretStore, SetResult } from './credentials/secret-store.js';
import { registrySecretKey } from './credentials/types.js';
import { canonicalRegistry } from '../names/remote.js';
import type { Remote } from './remote.js';

interface LoginResult {
  registry: string;
  /** False when the registry asks for no authentication (the login is saved anyway, as docker does). */
  verified: boolean;
  stored: SetResult;
}

/** A registry as typed for login: `ghcr.io`, `https://ghcr.io/`, `localhost:5000` → its canonical host. */
export function loginRegistry(input: string): string {
  const host = input
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '');
  if (!host || !/^[A-Za-z0-9.\-[\]:]+$/.test(host))
    throw new ScrydonError('usage', `"${input}" is not a registry host`, { hint: 'scrydon login ghcr.io' });
  return canonicalRegistry(host);
}

/**
 * `scrydon login`: checks the credential against the registry first (its challenge answered with it, as
 * `docker login` does), and only then saves it in the secret store (keychain, or auth.json 0600).
 */
export async function login(
  remote: Remote,
  registryInput: string,
  username: string,
  password: string,
  secrets: SecretStore,
  signal?: AbortSignal,
): Promise<LoginResult> {
  const registry = loginRegistry(registryInput);
  if (!username) throw new ScrydonError('usage', 'a user name is needed');
  const verified = await remote
    .client(registry)
    .verifyCredential({ kind: 'basic', username, password, source: `the login as ${username}` }, signal);
  const stored = await secrets.set(registrySecretKey(registry), encodeLogin({ username, password }));
  return { registry, verified, stored };
}

/** `scrydon logout`: removes the saved login (from the keychain and from auth.json). */
export async function logout(
  registryInput: string,
  secrets: SecretStore,
): Promise<{ registry: string; removed: boolean }> {
  const registry = loginRegistry(registryInput);
  return { registry, removed: await secrets.delete(registrySecretKey(registry)) };
}
