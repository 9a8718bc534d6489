import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** What the forward proxy did: tunnels opened (CONNECT) and requests forwarded in absolute form. */
export interface ForwardProxy {
  url: string;
  port: number;
  tunnels: string[];
  /** CONNECT requests received, answered or not. */
  connects: number;
  forwarded: string[];
  /** The Host header of each forwarded request. */
  forwardedHosts: string[];
  /** Requests refused for missing or wrong credentials. */
  refused: number;
  close(): Promise<void>;
}

interface ForwardProxyOptions {
  /** Host names the proxy resolves itself (a name no DNS knows → 127.0.0.1): the client cannot reach them directly. */
  hosts: Record<string, string>;
  /** Basic credentials the proxy asks for (407 without them). */
  auth?: { user: string; password: string };
  /** Serve over TLS with this key and certificate (an https:// proxy). */
  tls?: { key: string; cert: string };
  /** Answer the first N CONNECTs with 502 (a proxy that cannot reach the registry for a moment). */
  failConnects?: number;
  /** Take CONNECTs and never answer them. */
  silent?: boolean;
}

/**
 * An HTTP forward proxy on 127.0.0.1 as corporate networks run them: CONNECT tunnels for https, absolute-form
 * requests for plain http, optional Basic proxy authentication. It resolves the `hosts` it is given itself,
 * so a registry named by one of them is only reachable through it.
 */
export async function startForwardProxy(o: ForwardProxyOptions): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const forwarded: string[] = [];
  const forwardedHosts: string[] = [];
  const sockets = new Set<Socket>();
  const state = { refused: 0, connects: 0 };
  const resolveHost = (h: string): string => o.hosts[h.replace(/^\[(.*)\]$/, '$1').toLowerCase()] ?? h;
  const allowed = (req: IncomingMessage): boolean => {
    if (!o.auth) return true;
    const want = `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}`;
    if (req.headers['proxy-authorization'] === want) return true;
    state.refused++;
    return false;
  };

  const handle = (req: IncomingMessage, res: import('node:http').ServerResponse): void => {
    if (!allowed(req)) {
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="proxy"', 'content-length': '0' });
      res.end();
      return;
    }
    const target = new URL(req.url ?? '');
    forwarded.push(`${req.method} ${target.href}`);
    forwardedHosts.push(req.headers.host ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = request(
      {
        host: resolveHost(target.hostname),
        port: Number(target.port || 80),
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        // a response cut short upstream is cut short here too (pipe alone would leave the client waiting)
        ur.on('close', () => {
          if (!ur.complete) res.destroy();
        });
      },
    );
    up.on('error', () => {
      res.writeHead(502, { 'content-length': '0' });
      res.end();
    });
    req.pipe(up);
  };
  const server: Server = o.tls ? createTlsServer({ key: o.tls.key, cert: o.tls.cert }, handle) : createServer(handle);
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    state.connects++;
    if (o.silent) return;
    if (state.connects <= (o.failConnects ?? 0)) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!allowed(req)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/); // `[v6]:port` keeps its brackets here
    tunnels.push(req.url ?? '');
    const up = connect(Number(port), resolveHost(host), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.byteLength) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    tunnels,
    get connects() {
      return state.connects;
    },
    forwarded,
    forwardedHosts,
    get refused() {
      return state.refused;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
