import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ScrydonError } from '../../errors.js';
import type { HostSettings } from '../settings.js';
import { proxyFor, type ProxyConfig } from './proxy.js';
import { TunnelAgent } from './tunnel-agent.js';

/**
 * How a request to a URL travels: through `agent`, and when a proxy applies (`via`), either tunnelled (https:
 * CONNECT, in the agent) or in absolute form to the proxy (http, as Go's transport sends it).
 */
interface Route {
  agent: HttpAgent;
  via?: { proxy: URL; tunnel: boolean };
}

type TlsPolicy = { rejectUnauthorized: boolean; ca?: string[] };

/**
 * One keep-alive connection pool per origin (through the proxy when one applies), with that registry's TLS
 * policy: verified against the system roots (plus a --ca-file bundle) unless the registry is named insecure.
 * Node's own http/https: undici would cost another ~20 MB of resident memory (its wasm parser) against the
 * 150 MB budget, for no measured speed gain.
 */
export class Dispatchers {
  readonly #pools = new Map<string, Route>();
  readonly #tls = new Map<string, TlsPolicy>();
  readonly #settingsFor: (host: string) => HostSettings;
  readonly #proxy: ProxyConfig;
  readonly #idleMs: number;

  constructor(settingsFor: (host: string) => HostSettings, proxy: ProxyConfig = {}, idleMs = 120_000) {
    this.#settingsFor = settingsFor;
    this.#proxy = proxy;
    this.#idleMs = idleMs;
  }

  route(url: URL): Route {
    let r = this.#pools.get(url.origin);
    if (!r) {
      const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 32, scheduling: 'lifo' as const };
      const proxy = proxyFor(url, this.#proxy);
      if (url.protocol === 'https:') {
        const options = { ...common, ...this.tlsOptions(url) };
        r = proxy
          ? { agent: new TunnelAgent(proxy, options, this.#idleMs), via: { proxy, tunnel: true } }
          : { agent: new HttpsAgent(options) };
      } else if (proxy) {
        const agent =
          proxy.protocol === 'https:' ? new HttpsAgent({ ...common, rejectUnauthorized: true }) : new HttpAgent(common);
        r = { agent, via: { proxy, tunnel: false } };
      } else r = { agent: new HttpAgent(common) };
      this.#pools.set(url.origin, r);
    }
    return r;
  }

  /** The registry's TLS policy, as connection options (bulk-get.ts connects by itself); a CA file is read once. */
  tlsOptions(url: URL): TlsPolicy {
    let t = this.#tls.get(url.host);
    if (!t) {
      t = this.#readTls(url.host);
      this.#tls.set(url.host, t);
    }
    return t;
  }

  #readTls(host: string): TlsPolicy {
    const s = this.#settingsFor(host);
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
    for (const r of this.#pools.values()) r.agent.destroy();
    this.#pools.clear();
  }
}
