import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { selfSigned } from './tls.js';

/** The Debian CNCF distribution registry, started by the tests themselves on 127.0.0.1 (never a system service). */
const REGISTRY_BIN = '/usr/bin/docker-registry';
/** A name no resolver knows, which the forward proxy of the tests maps to 127.0.0.1 (its TLS certificate names it too). */
export const TEST_REGISTRY_NAME = 'registry.scrydon.test';

type RegistryAuth =
  | { kind: 'none' }
  /** htpasswd Basic auth; users are name → password. */
  | { kind: 'htpasswd'; users: Record<string, string> }
  /** Token auth: the registry trusts tokens signed by `certFile`'s key, issued by `realm`. */
  | { kind: 'token'; realm: string; service: string; issuer: string; certFile: string };

export interface RunningRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  port: number;
  storage: string;
  /** Stops (SIGKILL when `hard`) and waits for the process to go. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and storage (after a kill). */
  restart(): Promise<void>;
  readonly process: ChildProcess;
  /** The self-signed certificate of a TLS registry (its CA for --ca-file). */
  certFile?: string;
}

/** A free TCP port on 127.0.0.1 (the OS picks; the socket is closed before the port is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** distribution's `s3` storage driver on an S3 endpoint (test/helpers/s3-server.ts), instead of a directory. */
interface S3Storage {
  endpoint: string;
  bucket: string;
}

/** The `storage:` driver lines: a directory, or an S3 bucket (plain HTTP, no redirects to S3: clients never see it). */
function driverYaml(storage: string, s3?: S3Storage): string[] {
  if (!s3) return ['  filesystem:', `    rootdirectory: ${storage}`];
  return [
    '  s3:',
    `    regionendpoint: ${s3.endpoint}`,
    '    region: us-east-1',
    `    bucket: ${s3.bucket}`,
    '    accesskey: S3RVER',
    '    secretkey: S3RVER',
    '    secure: false',
    '    v4auth: true',
    '  redirect:',
    '    disable: true',
  ];
}

function configYaml(
  storage: string,
  listen: string,
  auth: RegistryAuth,
  htpasswdFile: string,
  tls?: { certFile: string; keyFile: string },
  cache = false,
  deletes = true,
  s3?: S3Storage,
): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    ...driverYaml(storage, s3),
    ...(cache ? ['  cache:', '    blobdescriptor: inmemory'] : []),
    '  delete:',
    `    enabled: ${deletes}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${listen}`,
    '  secret: scrydon-test-secret',
  ];
  if (tls) lines.push('  tls:', `    certificate: ${tls.certFile}`, `    key: ${tls.keyFile}`);
  if (auth.kind === 'htpasswd')
    lines.push('auth:', '  htpasswd:', '    realm: scrydon-test', `    path: ${htpasswdFile}`);
  if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${auth.realm}`,
      `    service: ${auth.service}`,
      `    issuer: ${auth.issuer}`,
      `    rootcertbundle: ${auth.certFile}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Waits until `child` (a server, named `what`) accepts connections on `address`:`port`. */
export async function waitListening(
  port: number,
  child: ChildProcess,
  what: string,
  stderr: () => string = () => '',
  address = '127.0.0.1',
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}: ${stderr()}`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, address, () => {
        sock.destroy();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not come up on ${port}: ${stderr()}`);
}

/** The environment of a registry process: the AWS SDK inside distribution panics when AWS_CA_BUNDLE is set. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
}

/** Starts a registry with its own temp storage and port; `stop()` it in an after() hook. */
export async function startRegistry(
  auth: RegistryAuth = { kind: 'none' },
  /**
   * cache: the in-memory blob descriptor cache of the packaged config (/etc/docker/registry/config.yml);
   * address: the loopback address to listen on (127.0.0.1; replicas of one site take 127.0.0.2, … on one port);
   * s3: store in that bucket instead of a directory (replicas sharing it share one `http.secret`, as they must);
   * logFile: its stderr goes there, not to a pipe (a benchmark blocked in spawnSync cannot drain a pipe, and a
   * registry whose pipe is full stalls).
   */
  o: {
    port?: number;
    storage?: string;
    tls?: boolean;
    cache?: boolean;
    address?: string;
    s3?: S3Storage;
    logFile?: string;
    deletes?: boolean;
  } = {},
): Promise<RunningRegistry> {
  const dir = await tempDir('scrydon-registry-');
  const storage = o.storage ?? join(dir, 'storage');
  await mkdir(storage, { recursive: true });
  const htpasswdFile = join(dir, 'htpasswd');
  if (auth.kind === 'htpasswd') {
    const lines: string[] = [];
    for (const [user, password] of Object.entries(auth.users)) {
      const r = spawnSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`htpasswd failed (install apache2-utils): ${r.stderr}`);
      lines.push(r.stdout.trim());
    }
    await writeFile(htpasswdFile, lines.join('\n') + '\n');
  }
  const port = o.port ?? (await freePort());
  const configFile = join(dir, 'config.yml');
  let tls: { certFile: string; keyFile: string } | undefined;
  if (o.tls) {
    tls = selfSigned(dir, `IP:127.0.0.1,DNS:${TEST_REGISTRY_NAME}`);
  }
  const address = o.address ?? '127.0.0.1';
  await writeFile(
    configFile,
    configYaml(storage, `${address}:${port}`, auth, htpasswdFile, tls, o.cache, o.deletes ?? true, o.s3),
  );

  let child!: ChildProcess;
  let err = '';
  const launch = async (): Promise<void> => {
    err = '';
    const stderr = o.logFile ? openSync(o.logFile, 'a') : 'pipe';
    child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', 'ignore', stderr], env: registryEnv() });
    if (typeof stderr === 'number') closeSync(stderr);
    child.stderr?.on('data', (c: Buffer) => {
      if (err.length < 8192) err += c.toString('utf8');
    });
    await waitListening(port, child, 'docker-registry', () => err, address);
  };
  await launch();
  const stop = async (hard = false): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await gone;
  };
  return {
    ...(tls ? { certFile: tls.certFile } : {}),
    host: `${address}:${port}`,
    port,
    storage,
    stop,
    restart: launch,
    get process() {
      return child;
    },
  };
}
