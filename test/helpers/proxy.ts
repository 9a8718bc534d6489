import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One request seen by the proxy. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  /** Whether an Authorization header came with it (its value is never kept). */
  authorized: boolean;
  /** The Range header, when the client asked for part of a body. */
  range?: string;
}

interface ProxyOptions {
  /** `127.0.0.1:PORT` of the registry behind. */
  upstream: string;
  /** Flip one byte of this response body (at `corruptAt`, default the middle of the first chunk). */
  corrupt?: (req: IncomingMessage) => boolean;
  /**
   * Cut the connection after this many body bytes of a response that `cutWhen` selects; `onCut` runs first (a
   * test kills the registry there). Cuts once unless `cutEvery`.
   */
  cutAfter?: number;
  cutWhen?: (req: IncomingMessage) => boolean;
  cutEvery?: boolean;
  onCut?: () => void | Promise<void>;
  /**
   * Headers added to the registry's response (e.g. OCI-Subject, as a registry with the referrers API sends);
   * `upstream` is the registry's response (its status and headers), which has not been passed on yet.
   */
  addHeaders?: (req: IncomingMessage, upstream: IncomingMessage) => Record<string, string> | undefined;
  /** Send response bodies at about this many bytes a second (a slow link, so progress has time to show). */
  throttle?: number;
  /** Answer a request here instead of the registry (to play a registry quirk); undefined passes it on. */
  respond?: (req: IncomingMessage) => Promise<CannedResponse | undefined> | CannedResponse | undefined;
}

interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RunningProxy {
  host: string;
  port: number;
  requests: SeenRequest[];
  /** Requests whose path matches, e.g. /\/blobs\/sha256:/ for blob transfers. */
  count(method: string, path: RegExp): number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of a test registry: records requests, and can corrupt a response body
 * or cut a connection mid-body (a registry killed mid-pull). The Host header passes through unchanged, so the
 * registry's absolute Location headers point back at the proxy.
 */
export async function startProxy(o: ProxyOptions): Promise<RunningProxy> {
  const [uhost, uport] = o.upstream.split(':');
  const requests: SeenRequest[] = [];
  let cutDone = false;
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const seen: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      authorized: req.headers.authorization !== undefined,
    };
    if (typeof req.headers.range === 'string') seen.range = req.headers.range;
    requests.push(seen);
    const canned = await o.respond?.(req);
    if (canned) {
      seen.status = canned.status;
      req.resume();
      const body = canned.body === undefined ? Buffer.alloc(0) : Buffer.from(canned.body);
      res.writeHead(canned.status, { 'content-length': String(body.byteLength), ...canned.headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const up = request(
      { host: uhost, port: Number(uport), method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        seen.status = ur.statusCode ?? 0;
        res.writeHead(ur.statusCode ?? 502, { ...ur.headers, ...(o.addHeaders?.(req, ur) ?? {}) });
        const corrupt = o.corrupt?.(req) ?? false;
        const cut = o.cutAfter !== undefined && (o.cutWhen?.(req) ?? true) && (o.cutEvery || !cutDone);
        let sent = 0;
        let corrupted = false;
        ur.on('data', (chunk: Buffer) => {
          let c = chunk;
          if (corrupt && !corrupted && c.byteLength > 0) {
            c = Buffer.from(c);
            const i = Math.floor(c.byteLength / 2);
            c[i] = (c[i] ?? 0) ^ 0xff;
            corrupted = true;
          }
          if (cut && o.cutAfter !== undefined && sent + c.byteLength > o.cutAfter) {
            cutDone = true;
            const head = c.subarray(0, Math.max(0, o.cutAfter - sent));
            ur.pause();
            res.write(head, () => {
              void Promise.resolve(o.onCut?.()).finally(() => {
                req.socket.destroy();
                ur.destroy();
              });
            });
            sent = o.cutAfter;
            return;
          }
          sent += c.byteLength;
          const flowing = res.write(c);
          if (o.throttle) {
            ur.pause();
            const wait = (c.byteLength / o.throttle) * 1000;
            setTimeout(() => (res.writableNeedDrain ? res.once('drain', () => ur.resume()) : ur.resume()), wait);
          } else if (!flowing) {
            ur.pause();
            res.once('drain', () => ur.resume());
          }
        });
        ur.on('end', () => res.end());
        ur.on('error', () => req.socket.destroy());
      },
    );
    // an upstream that is gone looks, from the client, like a dropped connection (not a 502)
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    count: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)).length,
    reset: () => {
      requests.length = 0;
      cutDone = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
