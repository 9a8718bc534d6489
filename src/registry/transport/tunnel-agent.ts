import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ScrydonError } from '../../errors.js';
import { abortError } from './net-errors.js';
import { authority, proxyAuthorization, proxyEndpoint, serverName } from './proxy.js';

/**
 * An https agent whose connections are tunnels through an HTTP proxy (`CONNECT host:port`, then TLS with the
 * registry inside the tunnel, verified as without a proxy). A proxy that asks for credentials (407) is a
 * `proxy_error` naming the proxy (never its credentials); one that cannot reach the registry (5xx) is a
 * network error, retried like a dropped connection.
 */
export class TunnelAgent extends HttpsAgent {
  readonly #proxy: URL;
  readonly #idleMs: number;

  constructor(proxy: URL, options: AgentOptions, idleMs: number) {
    super(options);
    this.#proxy = proxy;
    this.#idleMs = idleMs;
  }

  /**
   * Node's Agent calls this with the request's options and a callback, and waits for the callback when nothing
   * is returned. The request's own signal and timeout only start once it has a socket, so the CONNECT gets them
   * here: `tunnelSignal` (Node keeps `signal` from agents) and the idle limit.
   */
  override createConnection(
    options: ConnectionOptions & { tunnelSignal?: AbortSignal },
    cb: (err: Error | null, socket?: Duplex) => void,
  ): undefined {
    const target = authority(options.host ?? 'localhost', options.port ?? 443);
    const auth = proxyAuthorization(this.#proxy);
    const proxy = proxyEndpoint(this.#proxy);
    const req = (proxy.https ? httpsRequest : httpRequest)({
      ...proxy.options,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...(auth ? { 'proxy-authorization': auth } : {}) },
      agent: false,
    });
    const signal = options.tunnelSignal;
    const onAbort = (): void => void req.destroy(abortError(signal?.reason));
    let done = false;
    const finish = (err: Error | null, socket?: Duplex): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      cb(err, socket);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    req.setTimeout(this.#idleMs, () =>
      req.destroy(
        Object.assign(new Error(`no answer from the proxy for ${this.#idleMs / 1000} s`), { code: 'ETIMEDOUT' }),
      ),
    );
    req.once('connect', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        finish(tunnelRefused(this.#proxy, target, res));
        return;
      }
      (socket as Socket).setTimeout(0); // the tunnel's idle limit is the request's from here on
      if (head.byteLength > 0) socket.unshift(head);
      const tls = tlsConnect({ ...options, socket, servername: serverName(options.servername ?? options.host ?? '') });
      finish(null, tls);
    });
    req.once('error', (e) => finish(e));
    req.end();
    return undefined;
  }
}

/** A proxy's 407: no credentials in the proxy setting, or refused ones (named by where they came from only). */
export function proxyAuthRequired(proxy: URL, target: string, setting: string): ScrydonError {
  const given = proxy.username !== '' || proxy.password !== '';
  return new ScrydonError(
    'proxy_error',
    `the proxy ${proxy.host} ${given ? `refused the credentials in ${setting}` : 'asks for credentials'} (407) on the way to ${target}`,
    {
      hint: given
        ? 'check the user name and password in the proxy setting'
        : `put them in the proxy setting: ${setting}=http://USER:PASSWORD@HOST:PORT`,
    },
  );
}

function tunnelRefused(proxy: URL, target: string, res: IncomingMessage): ScrydonError {
  const status = `${res.statusCode ?? 0}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
  if (res.statusCode === 407) return proxyAuthRequired(proxy, target, 'HTTPS_PROXY');
  if (res.statusCode !== undefined && res.statusCode >= 500) {
    return new ScrydonError(
      'network_error',
      `the proxy ${proxy.host} could not open a tunnel to ${target} (${status})`,
    );
  }
  return new ScrydonError('proxy_error', `the proxy ${proxy.host} refused a tunnel to ${target} (${status})`, {
    hint: 'check that the proxy allows CONNECT to this registry, or name the registry in NO_PROXY',
  });
}
