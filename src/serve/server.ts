import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import type { Store } from '../store/store-target.js';
import { urlOf, type ListenAddress } from './address.js';
import { handleApi } from './api.js';
import { StoreViews } from './store-views.js';
import { SMALL_BLOBS_BYTES } from './blob-response.js';
import { BytesLru } from '../content/bytes-lru.js';
import type { BasicAuth } from './htpasswd.js';
import { sendBytes, sendJson, sendOciError, type Exchange } from './http.js';
import { OciHttpError } from './oci-error.js';
import { ManifestCache } from './manifest-cache.js';
import { handlePage } from './page.js';
import { handleRegistryRead } from './registry.js';
import { parseRegistryPath } from './routes.js';
import { IndexSnapshots } from './snapshot.js';
import type { TlsFiles } from './tls.js';

interface ServeOptions {
  store: Store;
  paths: HomePaths;
  /** Install root shown on the page (default $SCRYDON_HOME/packs). */
  installRoot?: string | undefined;
  listen: ListenAddress;
  tls?: TlsFiles | undefined;
  /** Basic auth for every path (registry, API and page); none: anyone who can connect reads the store. */
  auth?: BasicAuth | undefined;
  /** Called once per answered request (an access log). */
  onRequest?: ((e: RequestLog) => void) | undefined;
  /** Called with failures that are not the client's (a damaged store, a bug); the client got a 500. */
  onError?: ((e: unknown) => void) | undefined;
}

export interface RequestLog {
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
}

interface ServeStats {
  requests: number;
  bytesSent: number;
  serverErrors: number;
}

interface RunningServer {
  url: string;
  host: string;
  port: number;
  stats(): ServeStats;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

const REALM = 'Basic realm="scrydon", charset="UTF-8"';
const READ_METHODS = new Set(['GET', 'HEAD']);

/** Answers one request. */
async function dispatch(
  x: Exchange,
  o: ServeOptions,
  snapshots: IndexSnapshots,
  caches: { manifests: ManifestCache; smallBlobs: BytesLru; views: StoreViews },
): Promise<void> {
  const route = parseRegistryPath(x.url.pathname);
  if (route) x.res.setHeader('docker-distribution-api-version', 'registry/2.0');
  if (o.auth && !(await o.auth.check(x.req.headers.authorization))) {
    const headers = { 'www-authenticate': REALM };
    if (route)
      sendOciError(
        x,
        new OciHttpError(
          'UNAUTHORIZED',
          "authentication required: a user and password from the server's htpasswd file",
        ),
        headers,
      );
    else sendJson(x, 401, { error: { code: 'auth_failed', message: 'authentication required' } }, headers);
    return;
  }
  if (!READ_METHODS.has(x.req.method ?? '')) {
    const headers = { allow: 'GET, HEAD', connection: 'close' };
    if (route)
      sendOciError(
        x,
        new OciHttpError(
          'UNSUPPORTED',
          `${x.req.method ?? ''} is not supported: scrydon serve is a read-only registry (pull only)`,
        ),
        headers,
      );
    else sendJson(x, 405, { error: { code: 'usage', message: 'read-only: only GET and HEAD' } }, headers);
    return;
  }
  if (route) return handleRegistryRead(x, { store: o.store, snapshots, ...caches }, route);
  if (x.url.pathname === '/api' || x.url.pathname.startsWith('/api/'))
    return handleApi(x, {
      views: caches.views,
      paths: o.paths,
      installRoot: o.installRoot ?? o.paths.packs,
      snapshots,
    });
  if (!handlePage(x)) sendBytes(x, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
}

function listenError(e: NodeJS.ErrnoException, l: ListenAddress): ScrydonError {
  const where = `${l.host || '*'}:${l.port}`;
  if (e.code === 'EADDRINUSE')
    return new ScrydonError('address_in_use', `${where} is already in use`, {
      hint: 'pick another port with --addr HOST:PORT (port 0 lets the system choose)',
    });
  if (e.code === 'EACCES')
    return new ScrydonError('address_in_use', `not allowed to listen on ${where}`, {
      hint: 'ports below 1024 need privileges; pick a higher one',
    });
  return new ScrydonError('usage', `cannot listen on ${where}: ${e.message}`, {
    hint: 'the host must be an address of this machine',
  });
}

/** Starts the registry, API and page on `o.listen`; resolves once it listens. */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const snapshots = new IndexSnapshots(o.store);
  const caches = {
    manifests: new ManifestCache(),
    smallBlobs: new BytesLru(SMALL_BLOBS_BYTES),
    views: new StoreViews(o.store, snapshots),
  };
  const stats: ServeStats = { requests: 0, bytesSent: 0, serverErrors: 0 };
  const active = new Set<ServerResponse>();
  let drained: (() => void) | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    // made when an answer first asks for it (a streamed blob, the API): most answers are sent whole at once
    let ac: AbortController | undefined;
    let gone = false;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://scrydon.invalid');
    } catch {
      url = new URL('http://scrydon.invalid/');
    }
    const x: Exchange = {
      req,
      res,
      url,
      head: req.method === 'HEAD',
      get signal() {
        ac ??= new AbortController();
        if (gone) ac.abort();
        return ac.signal;
      },
    };
    active.add(res);
    res.on('close', () => {
      // a cut-off answer (client gone, or a failure after the headers) counts no bytes
      const done = res.writableFinished;
      if (!done) {
        gone = true;
        ac?.abort();
      }
      const bytes = done && !x.head ? Number(res.getHeader('content-length') ?? 0) : 0;
      stats.requests++;
      stats.bytesSent += bytes;
      o.onRequest?.({
        method: req.method ?? '',
        path: url.pathname,
        status: res.statusCode,
        bytes,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
      active.delete(res);
      if (active.size === 0) drained?.();
    });
    dispatch(x, o, snapshots, caches).catch((e: unknown) => {
      const known = e instanceof OciHttpError;
      if (!known || e.status >= 500) {
        stats.serverErrors++;
        o.onError?.(e);
      }
      if (res.headersSent) res.destroy();
      else sendOciError(x, known ? e : new OciHttpError('UNKNOWN', "internal error (see the server's log)"));
    });
  };

  const server: Server = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(listenError(e as NodeJS.ErrnoException, o.listen)));
    const onListening = () => resolve();
    if (o.listen.host === '') server.listen(o.listen.port, onListening);
    else server.listen(o.listen.port, o.listen.host, onListening);
  });
  const addr = server.address() as AddressInfo;
  const scheme = o.tls ? 'https' : 'http';

  return {
    url: urlOf(scheme, addr.address, addr.port),
    host: addr.address,
    port: addr.port,
    stats: () => ({ ...stats }),
    close: async (graceMs = 3000) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active.size > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
