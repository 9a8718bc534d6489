import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ScrydonError } from '../../errors.js';
import type { HostSettings } from '../settings.js';

/**
 * One keep-alive connection pool per origin, with that registry's TLS policy: verified against the system roots
 * (plus a --ca-file bundle) unless the registry is named insecure. Node's own http/https: undici would cost
 * another ~20 MB of resident memory (its wasm parser) against the 150 MB budget, for no measured speed gain.
 */
export class Dispatchers {
  readonly #pools = new Map<string, HttpAgent>();
  readonly #settingsFor: (host: string) => HostSettings;

  constructor(settingsFor: (host: string) => HostSettings) {
    this.#settingsFor = settingsFor;
  }

  for(url: URL): HttpAgent {
    let a = this.#pools.get(url.origin);
    if (!a) {
      const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 32, scheduling: 'lifo' as const };
      a = url.protocol === 'https:' ? new HttpsAgent({ ...common, ...this.tlsOptions(url) }) : new HttpAgent(common);
      this.#pools.set(url.origin, a);
    }
    return a;
  }

  /** The registry's TLS policy, as connection options (bulk-get.ts connects by itself). */
  tlsOptions(url: URL): { rejectUnauthorized: boolean; ca?: string[] } {
    const s = this.#settingsFor(url.host);
    if (s.insecure) return { rejectUnauthorized: false };
    if (!s.caFile) return { rejectUnauthorized: true };
    let pem: string;
    try {
      pem = readFileSync(s.caFile, 'utf8');
    } catch (e) {
      throw new ScrydonError('usage', `cannot read CA file ${s.caFile}: ${(e as Error).message}`, { cause: e });
    }
    return { rejectUnauthorized: true, ca: [...rootCertificates, pem] };
  }

  close(): void {
    for (const a of this.#pools.values()) a.destroy();
    this.#pools.clear();
  }
}
