import { isAbortError, isScrydonError, ScrydonError } from '../errors.js';
import { RegistryClient } from './client.js';
import { CredentialResolver, type CredentialSources } from './credentials/resolve.js';
import { canonicalRegistry, parseRemoteReference, type RemoteReference } from '../names/remote.js';
import type { RegistryGate } from './gate.js';
import { ReferrersProbe } from './referrers.js';
import { RepositoryTarget } from './repository-target.js';
import type { ReferrersMode, RegistrySettings } from './settings.js';
import { HttpTransport } from './transport/http.js';
import type { ProxyConfig } from './transport/proxy.js';
import type { RetryPolicy } from './transport/retry.js';
import type { NetTimeouts } from './transport/time-bounds.js';

interface RemoteOptions {
  settings: RegistrySettings;
  credentials: CredentialSources;
  referrers?: ReferrersMode;
  retry?: RetryPolicy;
  /** Connect, idle and speed-floor bounds of every request (transport/time-bounds.ts); its defaults when not given. */
  timeouts?: NetTimeouts;
  userAgent?: string;
  /** HTTP_PROXY / HTTPS_PROXY / NO_PROXY (transport/proxy.ts). */
  proxy?: ProxyConfig;
  /** Which registries may be contacted at all (gate.ts): required, so no caller forgets the policy. */
  gate: RegistryGate;
  /**
   * The whole command's deadline (its reason a `timeout` error): when it passes, the steps under way are noted,
   * so that explain() can name them (the first failure it causes is often the bare reason, from the store side).
   */
  deadline?: AbortSignal;
}

/**
 * Everything one command needs to talk to registries: one HTTP transport (connection pools), one credential
 * resolver, one client (auth state, token cache) and one referrers probe per registry. Close it when done.
 */
export class Remote {
  readonly settings: RegistrySettings;
  readonly credentials: CredentialResolver;
  readonly transport: HttpTransport;
  readonly #referrersMode: ReferrersMode;
  readonly #gate: RegistryGate;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #probes = new Map<string, ReferrersProbe>();
  readonly #deadline: AbortSignal | undefined;
  #atDeadline: string[] = [];

  constructor(o: RemoteOptions) {
    this.settings = o.settings;
    this.credentials = new CredentialResolver(o.credentials);
    this.#referrersMode = o.referrers ?? 'auto';
    this.#gate = o.gate;
    this.#deadline = o.deadline;
    o.deadline?.addEventListener('abort', () => (this.#atDeadline = this.transport.busy()), { once: true });
    this.transport = new HttpTransport({
      settingsFor: (host) => o.settings.for(host),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
      ...(o.userAgent ? { userAgent: o.userAgent } : {}),
      ...(o.proxy ? { proxy: o.proxy } : {}),
    });
  }

  client(registry: string): RegistryClient {
    const reg = canonicalRegistry(registry);
    let c = this.#clients.get(reg);
    if (!c) {
      c = new RegistryClient({
        registry: reg,
        settings: this.settings.for(reg),
        transport: this.transport,
        credentials: this.credentials,
        settingsFor: (h) => this.settings.for(h),
        gate: this.#gate,
      });
      this.#clients.set(reg, c);
    }
    return c;
  }

  /** The repository a reference names, as a Target (`writable` for destinations). */
  repository(ref: string | RemoteReference, o: { writable?: boolean } = {}): RepositoryTarget {
    const r = typeof ref === 'string' ? parseRemoteReference(ref) : ref;
    let probe = this.#probes.get(r.registry);
    if (!probe) {
      probe = new ReferrersProbe(this.#referrersMode);
      this.#probes.set(r.registry, probe);
    }
    return new RepositoryTarget(this.client(r.registry), r.repository, {
      referrers: probe,
      writable: o.writable ?? false,
    });
  }

  /** A failure the deadline caused, as its `timeout` error naming what was under way then; others unchanged. */
  explain(e: unknown): unknown {
    const d = this.#deadline;
    const [first, ...more] = this.#atDeadline;
    const reason: unknown = d?.reason;
    if (
      !isScrydonError(reason, 'timeout') ||
      first === undefined ||
      !(e === reason || isScrydonError(e, 'aborted') || isAbortError(e))
    )
      return e;
    const others = more.length ? ` (and ${more.length} more step${more.length > 1 ? 's' : ''})` : '';
    return new ScrydonError('timeout', `${reason.message} while ${first}${others}`, {
      cause: e,
      ...(reason.hint ? { hint: reason.hint } : {}),
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
