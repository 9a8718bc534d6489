import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { compare } from 'bcryptjs';
import { ScrydonError } from '../errors.js';

/**
 * Basic auth against an Apache htpasswd file of bcrypt hashes (`htpasswd -B`: `$2y$`, also `$2a$`/`$2b$`),
 * the one scheme CNCF distribution accepts too. bcrypt is deliberately slow, and clients send the same
 * credentials with every request, so a successful check is remembered (by a hash of user, password and the
 * stored hash — never the password itself) for a while.
 */
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const MAX_FILE_BYTES = 1024 * 1024;
const CACHE_MAX = 256;
const CACHE_TTL_MS = 5 * 60 * 1000;
/** A valid hash of a random secret: unknown users cost one bcrypt check too, so timing does not tell them apart. */
const DUMMY = '$2b$05$rH08jmbmNjrG.TmxArsxgerLxP8hqx5lEenYZXhQ2RacZx83I4aZW';

export function parseHtpasswd(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT.test(hash)) {
      throw new ScrydonError('htpasswd_invalid', `${file} line ${i + 1}: not USER:BCRYPT-HASH`, {
        hint: 'only bcrypt hashes are accepted; make entries with htpasswd -B (or htpasswd -nbB USER PASSWORD)',
      });
    }
    users.set(user, hash);
  });
  if (users.size === 0)
    throw new ScrydonError('htpasswd_invalid', `${file} has no users`, { hint: 'add one with htpasswd -B FILE USER' });
  return users;
}

/** Decodes `Authorization: Basic …` into user and password; undefined when absent or not Basic. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export class BasicAuth {
  readonly #users: ReadonlyMap<string, string>;
  readonly #ok = new Map<string, number>();

  constructor(users: ReadonlyMap<string, string>) {
    this.#users = users;
  }

  static async load(file: string): Promise<BasicAuth> {
    const text = await readFile(file, 'utf8').catch((e: unknown) => {
      throw new ScrydonError('htpasswd_invalid', `cannot read ${file}: ${(e as Error).message}`);
    });
    if (text.length > MAX_FILE_BYTES)
      throw new ScrydonError('htpasswd_invalid', `${file} is over ${MAX_FILE_BYTES} bytes`);
    return new BasicAuth(parseHtpasswd(text, file));
  }

  /** Whether the request's Authorization header names a user of the file with the right password. */
  async check(header: string | undefined): Promise<boolean> {
    const c = basicCredentials(header);
    if (!c) return false;
    const hash = this.#users.get(c.user);
    const k = createHash('sha256')
      .update(`${c.user}\0${c.password}\0${hash ?? ''}`)
      .digest('hex');
    const until = this.#ok.get(k);
    if (until !== undefined && until > Date.now()) return true;
    const good = await compare(c.password, hash ?? DUMMY);
    if (!good || hash === undefined) return false;
    if (this.#ok.size >= CACHE_MAX) this.#ok.clear();
    this.#ok.set(k, Date.now() + CACHE_TTL_MS);
    return true;
  }
}
