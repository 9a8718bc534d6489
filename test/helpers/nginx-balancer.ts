import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { waitListening } from './registry.js';

/** Debian's nginx-light, started by the test itself (never the system service). */
const NGINX_BIN = '/usr/sbin/nginx';

/** One line of the balancer's access log. */
export interface BalancedRequest {
  method: string;
  path: string;
  status: number;
  /** Each upstream tried, in order (`127.0.0.2:PORT`); a failed try is followed by the next one. */
  upstreams: string[];
  /** Their answers, one per try (`502` for a refused connection). */
  upstreamStatuses: string[];
  /** How long nginx took over it. */
  seconds: number;
  /** When nginx finished it (epoch seconds). */
  at: number;
}

export interface RunningBalancer {
  /** `ADDRESS:PORT`. */
  host: string;
  /** The access log so far, parsed. */
  requests(): Promise<BalancedRequest[]>;
  stop(): Promise<void>;
}

/**
 * The site's load balancer in front of registry replicas, configured as catalog-spec/publish.md shows: round
 * robin; a replica that refuses connections or does not connect within a second is skipped for the next one
 * (`proxy_next_upstream error timeout`); bodies stream both ways unbuffered (uploads of any size); the Host
 * header passes through, so the registries' Location headers name the balancer.
 */
function nginxConfig(dir: string, listen: string, upstreams: readonly string[]): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format balanced '$request_method\\t$request_uri\\t$status\\t$upstream_addr\\t$upstream_status\\t$request_time\\t$msec';
  access_log ${dir}/access.log balanced;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream registry {
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=30s;`).join('\n')}
  }
  server {
    listen ${listen};
    client_max_body_size 0;
    location /v2/ {
      proxy_pass http://registry;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto http;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_connect_timeout 1s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

function parseLine(line: string): BalancedRequest {
  const [method = '', path = '', status = '0', addrs = '', statuses = '', seconds = '0', at = '0'] = line.split('\t');
  const list = (s: string): string[] => (s === '-' || s === '' ? [] : s.split(/, | : /));
  return {
    method,
    path,
    status: Number(status),
    upstreams: list(addrs),
    upstreamStatuses: list(statuses),
    seconds: Number(seconds),
    at: Number(at),
  };
}

/** Starts nginx listening on `listen` (`ADDRESS:PORT`), balancing round robin over `upstreams`. */
export async function startBalancer(listen: string, upstreams: readonly string[]): Promise<RunningBalancer> {
  const dir = await tempDir('scrydon-nginx-');
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, listen, upstreams));
  let err = '';
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (c: Buffer) => {
    if (err.length < 8192) err += c.toString('utf8');
  });
  const [address = '127.0.0.1', port = '0'] = listen.split(':');
  await waitListening(Number(port), child, 'nginx', () => err, address);
  return {
    host: listen,
    requests: async () =>
      (await readFile(join(dir, 'access.log'), 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => l !== '')
        .map(parseLine),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
