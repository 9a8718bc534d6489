import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';
import { ScrydonError } from '../../errors.js';
import type { HostSettings } from '../settings.js';

/**
 * One connection pool per origin, with that registry's TLS policy: verified against the system roots (plus a
 * --ca-file bundle) unless the registry is named insecure. Pools keep connections alive across requests.
 */
export class Dispatchers {
  readonly #pools = new Map<string, Agent>();
  readonly #settingsFor: (host: string) => HostSettings;

  constructor(settingsFor: (host: string) => HostSettings) {
    this.#settingsFor = settingsFor;
  }

  for(url: URL): Agent {
    let a = this.#pools.get(url.origin);
    if (!a) {
      a = new Agent({
        connect: this.#tls(url),
        keepAliveTimeout: 30_000,
        headersTimeout: 60_000,
        bodyTimeout: 120_000,
        pipelining: 1,
      });
      this.#pools.set(url.origin, a);
    }
    return a;
  }

  #tls(url: URL): { rejectUnauthorized: boolean; ca?: string[] } {
    if (url.protocol !== 'https:') return { rejectUnauthorized: true };
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

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }
}
