import { isSea } from 'node:sea';

/** The OS keychain through @napi-rs/keyring (macOS Keychain, Windows Credential Manager, Secret Service on Linux). */
export interface Keychain {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
}

const SERVICE = 'scrydon';

/**
 * Opens the keychain, or undefined where none is reachable (headless Linux without a Secret Service, a
 * container). On Linux the entry is pinned to the Secret Service: the kernel keyring (keyring's fallback)
 * forgets everything at logout, which is no place for a login.
 */
export async function openKeychain(platform: NodeJS.Platform): Promise<Keychain | undefined> {
  // the single executable carries no native module; asking for one there makes Node print a warning of its own
  if (isSea()) return undefined;
  let mod: typeof import('@napi-rs/keyring');
  try {
    mod = await import('@napi-rs/keyring');
  } catch {
    return undefined;
  }
  const options = platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
  const entry = (key: string): InstanceType<typeof mod.AsyncEntry> => new mod.AsyncEntry(SERVICE, key, options);
  try {
    await entry('scrydon-probe').getPassword();
  } catch {
    return undefined;
  }
  return {
    get: async (key) => (await entry(key).getPassword()) ?? undefined,
    set: async (key, value) => entry(key).setPassword(value),
    delete: async (key) => entry(key).deleteCredential(),
  };
}
