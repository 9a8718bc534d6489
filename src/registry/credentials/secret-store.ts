import { ScrydonError } from '../../errors.js';
import { FileSecrets } from './file-store.js';
import { openKeychain, type Keychain } from './keychain.js';

/** Where secrets go: the OS keychain when reachable, else `$SCRYDON_HOME/auth.json` (mode 0600). */
export type SecretBackend = 'keychain' | 'file';

export interface SetResult {
  backend: SecretBackend;
  /** The file written, for the file backend. */
  path?: string;
  /** The file backend created auth.json just now: the caller warns, once. */
  createdFile?: boolean;
}

/**
 * Secrets by key: registry logins (`registry-<host>`) and, later, source credentials (`pack-source-<name>`).
 * get() looks in the keychain and then the file (a secret saved while no keychain was reachable stays
 * readable); set() writes to the keychain when there is one; delete() removes the key from both.
 */
export interface SecretStore {
  readonly backend: SecretBackend;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<SetResult>;
  delete(key: string): Promise<boolean>;
}

interface SecretStoreOptions {
  /** `$SCRYDON_HOME/auth.json`. */
  authFile: string;
  /** `auto` (default) uses the keychain where reachable; `file` never tries it; `keychain` insists on it. */
  mode?: 'auto' | 'keychain' | 'file';
  platform?: NodeJS.Platform;
}

class CompositeSecretStore implements SecretStore {
  readonly backend: SecretBackend;
  readonly #keychain: Keychain | undefined;
  readonly #file: FileSecrets;

  constructor(keychain: Keychain | undefined, file: FileSecrets) {
    this.#keychain = keychain;
    this.#file = file;
    this.backend = keychain ? 'keychain' : 'file';
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#keychain?.get(key)) ?? (await this.#file.get(key));
  }

  async set(key: string, value: string): Promise<SetResult> {
    if (this.#keychain) {
      await this.#keychain.set(key, value);
      await this.#file.delete(key);
      return { backend: 'keychain' };
    }
    const createdFile = await this.#file.set(key, value);
    return { backend: 'file', path: this.#file.path, createdFile };
  }

  async delete(key: string): Promise<boolean> {
    const a = (await this.#keychain?.delete(key)) ?? false;
    const b = await this.#file.delete(key);
    return a || b;
  }
}

export async function openSecretStore(o: SecretStoreOptions): Promise<SecretStore> {
  const mode = o.mode ?? 'auto';
  const keychain = mode === 'file' ? undefined : await openKeychain(o.platform ?? process.platform);
  if (mode === 'keychain' && !keychain) {
    throw new ScrydonError('usage', 'no OS keychain is reachable here', {
      hint: 'unset SCRYDON_CREDENTIAL_STORE (or set it to file) to use $SCRYDON_HOME/auth.json',
    });
  }
  return new CompositeSecretStore(keychain, new FileSecrets(o.authFile));
}
