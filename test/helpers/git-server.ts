import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { tempDir } from './cli.js';

/**
 * Real git repositories for source tests: a working repository to commit to (`GitRepoFixture`), published to a
 * bare repository that file:// URLs and a smart-HTTP server (`git http-backend` behind a loopback node:http
 * server checking a personal access token as the Basic-auth password) serve.
 */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Scrydon Test',
  GIT_AUTHOR_EMAIL: 'test@scrydon.invalid',
  GIT_COMMITTER_NAME: 'Scrydon Test',
  GIT_COMMITTER_EMAIL: 'test@scrydon.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface GitRepoFixture {
  /** The working repository. */
  work: string;
  /** The bare repository commits are published to. */
  bare: string;
  /** `file://` URL of the bare repository. */
  url: string;
  write(path: string, content: string): Promise<void>;
  /** Copies a directory (a fixture pack) into the working tree. */
  copy(from: string, to: string): Promise<void>;
  /** Commits everything and publishes it (branch main and tags); returns the commit. */
  commit(message: string): string;
  tag(name: string): void;
}

export async function makeGitRepo(name = 'packs'): Promise<GitRepoFixture> {
  const root = await tempDir('scrydon-git-');
  const work = join(root, 'work');
  const bare = join(root, 'served', `${name}.git`);
  await mkdir(work, { recursive: true });
  await mkdir(dirname(bare), { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  git(root, 'init', '-q', '--bare', bare);
  git(bare, 'config', 'http.receivepack', 'false');
  git(bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
  git(work, 'remote', 'add', 'origin', bare);
  return {
    work,
    bare,
    url: `file://${bare}`,
    write: async (path, content) => {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    },
    copy: async (from, to) => {
      await cp(from, join(work, to), { recursive: true });
    },
    commit: (message) => {
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '--allow-empty', '-m', message);
      git(work, 'push', '-q', '--force', '--tags', 'origin', 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
    tag: (tagName) => {
      git(work, 'tag', '-f', tagName);
      git(work, 'push', '-q', '--force', 'origin', `refs/tags/${tagName}`);
    },
  };
}

export interface RunningGitServer {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** Requests seen: path and whether the token matched. */
  requests: Array<{ path: string; authorized: boolean; status: number }>;
  close(): Promise<void>;
}

function authorized(req: IncomingMessage, token: string): boolean {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

/** Serves the bare repositories under `projectRoot` over smart HTTP, for clients whose Basic password is `token`. */
export async function startGitServer(projectRoot: string, token: string): Promise<RunningGitServer> {
  const requests: RunningGitServer['requests'] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ok = authorized(req, token);
    const seen = { path: url.pathname, authorized: ok, status: 0 };
    requests.push(seen);
    if (!ok) {
      seen.status = 401;
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="scrydon-test-git"', 'content-length': '0' });
      res.end();
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: 'token',
        REMOTE_ADDR: '127.0.0.1',
        ...(typeof req.headers['git-protocol'] === 'string' ? { GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (c: Buffer) => {
      if (headersDone) {
        res.write(c);
        return;
      }
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      seen.status = status;
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => res.end());
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
