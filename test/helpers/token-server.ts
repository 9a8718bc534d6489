import { spawnSync } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { tempDir } from './cli.js';

/**
 * A Docker token service for the token-auth test registry: checks Basic credentials (or an OAuth2 refresh
 * token), and answers a JWT signed RS256 with a throw-away test key whose self-signed certificate the registry
 * trusts (`rootcertbundle`; the cert rides in the JWT's x5c header, which distribution verifies).
 */
interface TokenServerOptions {
  users: Record<string, string>;
  /** Repositories anyone may pull without credentials (prefix match). */
  publicPrefix?: string;
  service?: string;
}

export interface TokenRequestSeen {
  method: string;
  scopes: string[];
  /** Who asked: a user name, `refresh:<user>`, or `anonymous`; secrets are never kept. */
  who: string;
  status: number;
}

export interface RunningTokenServer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  requests: TokenRequestSeen[];
  /** A refresh token for `user`, as `docker login` would keep as identitytoken. */
  refreshTokenFor(user: string): string;
  close(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startTokenServer(o: TokenServerOptions): Promise<RunningTokenServer> {
  const dir = await tempDir('scrydon-token-');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=scrydon-test-token',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const key = await readFile(keyFile, 'utf8');
  const certDer = (await readFile(certFile, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const service = o.service ?? 'scrydon-test-registry';
  const issuer = 'scrydon-test-issuer';
  const requests: TokenRequestSeen[] = [];
  const refreshTokens = new Map<string, string>();

  const sign = (sub: string, access: Array<{ type: string; name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64url(
      JSON.stringify({
        iss: issuer,
        sub,
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      }),
    );
    const s = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
    return `${header}.${claims}.${b64url(s)}`;
  };

  const grant = (
    who: string | undefined,
    scopes: string[],
  ): Array<{ type: string; name: string; actions: string[] }> => {
    const out: Array<{ type: string; name: string; actions: string[] }> = [];
    for (const s of scopes.flatMap((x) => x.split(' '))) {
      const [type, ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      const name = rest.join(':');
      if (type !== 'repository' || !name) continue;
      if (who) out.push({ type, name, actions });
      else if (o.publicPrefix && name.startsWith(o.publicPrefix))
        out.push({ type, name, actions: actions.filter((a) => a === 'pull') });
    }
    return out;
  };

  const answer = (res: ServerResponse, seen: TokenRequestSeen, status: number, body: unknown): void => {
    seen.status = status;
    requests.push(seen);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      const user =
        form.get('grant_type') === 'refresh_token' ? refreshTokens.get(form.get('refresh_token') ?? '') : undefined;
      const seen: TokenRequestSeen = { method: 'POST', scopes, who: user ? `refresh:${user}` : 'refused', status: 0 };
      if (!user) return answer(res, seen, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad refresh token' }] });
      return answer(res, seen, 200, { access_token: sign(user, grant(user, scopes)), expires_in: 300 });
    }
    const scopes = url.searchParams.getAll('scope');
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [u, ...p] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (u === undefined || o.users[u] === undefined || o.users[u] !== p.join(':')) {
        return answer(res, { method: 'GET', scopes, who: u ?? '?', status: 0 }, 401, {
          errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed' }],
        });
      }
      user = u;
    }
    const token = sign(user ?? '', grant(user, scopes));
    answer(res, { method: 'GET', scopes, who: user ?? 'anonymous', status: 0 }, 200, {
      token,
      access_token: token,
      expires_in: 300,
      issued_at: new Date().toISOString(),
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    refreshTokenFor: (user) => {
      const t = randomBytes(16).toString('hex');
      refreshTokens.set(t, user);
      return t;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
