import { setMaxListeners } from 'node:events';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { homePaths, type HomePaths } from '../src/config/paths.js';
import { parseDuration } from '../src/config/units.js';
import type { CopyEvent } from '../src/content/events.js';
import { isAbortError, isScrydonError, ScrydonError } from '../src/errors.js';
import type { ProxyConfig } from '../src/registry/transport/proxy.js';
import { DEFAULT_TIMEOUTS, type NetTimeouts } from '../src/registry/transport/time-bounds.js';
import { migratePinNames } from '../src/store/pin.js';
import { Store } from '../src/store/store-target.js';
import { ProgressRenderer } from './output/progress.js';

export interface GlobalArgs {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  color: boolean;
  /** --timeout: the whole command's deadline (a duration; 0 or absent: none, unless SCRYDON_TIMEOUT sets one). */
  timeout?: string | undefined;
}

/** What a command's run() gets: paths, the store, output policy. The only place that reads the environment. */
export class Context {
  readonly paths: HomePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly global: GlobalArgs;
  /**
   * Aborted on SIGINT/SIGTERM, or when the deadline passes: in-flight copies stop, nothing half-written becomes
   * visible.
   */
  readonly signal: AbortSignal;
  /**
   * The deadline alone (--timeout, else SCRYDON_TIMEOUT), aborted with a `timeout` ScrydonError as its reason:
   * what a reconcile's sources run under (SIGINT only stops a reconcile between steps).
   */
  readonly deadline: AbortSignal;
  #store: Promise<Store> | undefined;
  #progress: ProgressRenderer | undefined;

  constructor(global: GlobalArgs, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
    this.global = global;
    this.deadline =
      global.timeout !== undefined
        ? deadline(global.timeout, '--timeout')
        : deadline(env.SCRYDON_TIMEOUT, 'SCRYDON_TIMEOUT');
    this.signal = AbortSignal.any([signal, this.deadline]);
    // every request in flight listens to them: a publish checks 16 tags at once, a copy moves many blobs, a
    // reconcile (under the deadline alone) builds and installs --concurrency packs at once
    setMaxListeners(0, this.signal);
    setMaxListeners(0, this.deadline);
    const home = env.SCRYDON_HOME ? resolve(env.SCRYDON_HOME) : join(homedir(), '.scrydon');
    this.paths = homePaths(home);
  }

  store(): Promise<Store> {
    // stores of earlier versions named digest-only artifacts REPO:sha256-<hex>; renamed once, here (store/pin.ts)
    this.#store ??= Store.open(this.paths.catalog).then(async (s) => {
      // a store that cannot be written (read-only home) keeps its old names and is still read
      await migratePinNames(s.paths).catch((e: unknown) =>
        this.warn(`could not rename the old REPO:sha256-<hex> names of ${s.name}: ${(e as Error).message}`),
      );
      return s;
    });
    return this.#store;
  }

  /** `SOURCE_DATE_EPOCH` in seconds, when set and valid. */
  sourceDateEpoch(): number | undefined {
    const v = this.env.SOURCE_DATE_EPOCH;
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }

  /** A failure the deadline caused, as the deadline's `timeout` error (a step stopped by it says only `aborted`). */
  failure(e: unknown): unknown {
    if (!this.deadline.aborted || isScrydonError(e, 'timeout')) return e;
    return isScrydonError(e, 'aborted') || isAbortError(e) ? this.deadline.reason : e;
  }

  // The environment the registry client and credential lookup need (src/ never reads it).

  /**
   * The bounds of every request to a registry (and of git's transfers): SCRYDON_CONNECT_TIMEOUT and
   * SCRYDON_IDLE_TIMEOUT (durations: 10s, 2m) over the defaults of transport/time-bounds.ts.
   */
  netTimeouts(): NetTimeouts {
    const positive = (name: string): number | undefined => {
      const v = this.env[name];
      if (v === undefined || v === '') return undefined;
      const ms = parseDuration(v, name);
      if (ms <= 0) throw new ScrydonError('usage', `${name} must be longer than 0`, { hint: `e.g. ${name}=30s` });
      return ms;
    };
    return {
      ...DEFAULT_TIMEOUTS,
      connectMs: positive('SCRYDON_CONNECT_TIMEOUT') ?? DEFAULT_TIMEOUTS.connectMs,
      idleMs: positive('SCRYDON_IDLE_TIMEOUT') ?? DEFAULT_TIMEOUTS.idleMs,
    };
  }

  /** Docker and Podman auth files, in the order credentials are looked up in them. */
  authFiles(): string[] {
    const home = this.env.HOME || homedir();
    const out = [
      this.env.DOCKER_CONFIG ? join(this.env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json'),
    ];
    if (this.env.REGISTRY_AUTH_FILE) out.push(this.env.REGISTRY_AUTH_FILE);
    if (this.env.XDG_RUNTIME_DIR) out.push(join(this.env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
    return out;
  }

  /**
   * HTTPS_PROXY, HTTP_PROXY and NO_PROXY (upper case first, then lower case, as Go reads them). Under CGI
   * (REQUEST_METHOD set) HTTP_PROXY is ignored: a client's `Proxy:` request header arrives there (httpoxy).
   */
  proxyConfig(): ProxyConfig {
    const get = (name: string): string | undefined =>
      this.env[name.toUpperCase()] || this.env[name.toLowerCase()] || undefined;
    const cgi = Boolean(this.env.REQUEST_METHOD);
    return { httpsProxy: get('https_proxy'), httpProxy: cgi ? undefined : get('http_proxy'), noProxy: get('no_proxy') };
  }

  /** SCRYDON_CREDENTIAL_STORE: `file` keeps logins in $SCRYDON_HOME/auth.json even where a keychain exists. */
  credentialStoreMode(): 'auto' | 'keychain' | 'file' {
    const v = this.env.SCRYDON_CREDENTIAL_STORE;
    return v === 'file' || v === 'keychain' ? v : 'auto';
  }

  /** Per-registry settings (plain HTTP, insecure TLS, CA files): $SCRYDON_HOME/registries.yaml. */
  get registriesFile(): string {
    return join(this.paths.home, 'registries.yaml');
  }

  // Key references and the key password (src/ never reads the environment).

  /** The value of an `env://NAME` key reference (the whole PEM). */
  envVar(name: string): string | undefined {
    return this.env[name];
  }

  /** COSIGN_PASSWORD, as cosign reads it: set (even empty) means use it. */
  cosignPassword(): string | undefined {
    return this.env.COSIGN_PASSWORD;
  }

  /** A warning on stderr (not under --quiet; never on stdout, which --json keeps clean). */
  warn(message: string): void {
    if (!this.global.quiet) process.stderr.write(`${this.paint('warning', 33)}: ${message}\n`);
  }

  /** A progress line on stderr, only when stderr is a TTY and output is for a person. */
  info(message: string): void {
    if (!this.global.quiet && !this.global.json) process.stderr.write(`${message}\n`);
  }

  /** A sink for copy events: a progress bar on a TTY, nothing otherwise. */
  progress(): ((e: CopyEvent) => void) | undefined {
    if (this.global.quiet || this.global.json || !process.stderr.isTTY) return undefined;
    this.#progress ??= new ProgressRenderer(process.stderr);
    const p = this.#progress;
    return (e) => p.onEvent(e);
  }

  finishProgress(): void {
    this.#progress?.finish();
  }

  colorEnabled(): boolean {
    return this.global.color && !('NO_COLOR' in this.env && this.env.NO_COLOR !== '') && Boolean(process.stderr.isTTY);
  }

  paint(text: string, code: number): string {
    return this.colorEnabled() ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/**
 * The whole command's deadline: a signal aborted `value` (a duration) from now, with a `timeout` error naming the
 * setting as its reason. No value, or 0: a signal that never aborts (skopeo's --command-timeout and oras have no
 * default deadline either; the bounds of each request still hold).
 */
function deadline(value: string | undefined, setting: string): AbortSignal {
  const ctl = new AbortController();
  if (value === undefined || value === '') return ctl.signal;
  const ms = parseDuration(value, setting);
  if (ms <= 0) return ctl.signal;
  const shown = setting.startsWith('--') ? `${setting} ${value}` : `${setting}=${value}`;
  const reason = new ScrydonError('timeout', `${shown} ran out`, {
    hint: 'allow more time with --timeout (or SCRYDON_TIMEOUT); 0 means no deadline',
  });
  setTimeout(() => ctl.abort(reason), ms).unref();
  return ctl.signal;
}
