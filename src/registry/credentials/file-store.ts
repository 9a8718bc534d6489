import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { withFileLock } from '../../fs/lock.js';

interface AuthFileShape {
  version: 1;
  secrets: Record<string, string>;
}

/** `$SCRYDON_HOME/auth.json`: secrets where no OS keychain is reachable. Always written with mode 0600. */
export class FileSecrets {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async #read(): Promise<AuthFileShape | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new ScrydonError('config_invalid', `${this.path} is not valid JSON`, {
        hint: 'remove it and log in again',
      });
    }
    const secrets = (v as { secrets?: unknown }).secrets;
    if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) {
      throw new ScrydonError('config_invalid', `${this.path} has no "secrets" map`, {
        hint: 'remove it and log in again',
      });
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(secrets as Record<string, unknown>))
      if (typeof val === 'string') out[k] = val;
    return { version: 1, secrets: out };
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#read())?.secrets[key];
  }

  /** Stores `value`; returns true when this created the file (the caller warns once). */
  async set(key: string, value: string): Promise<boolean> {
    return withFileLock(this.path, async () => {
      const cur = await this.#read();
      const next: AuthFileShape = { version: 1, secrets: { ...(cur?.secrets ?? {}), [key]: value } };
      await writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n', 0o600);
      return cur === undefined;
    });
  }

  async delete(key: string): Promise<boolean> {
    return withFileLock(this.path, async () => {
      const cur = await this.#read();
      if (!cur || !(key in cur.secrets)) return false;
      const secrets = { ...cur.secrets };
      delete secrets[key];
      await writeFileAtomic(this.path, JSON.stringify({ version: 1, secrets }, null, 2) + '\n', 0o600);
      return true;
    });
  }
}
