import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

function configYaml(
  storage: string,
  port: number,
  auth: RegistryAuth,
  htpasswdFile: string,
  tls?: { certFile: string; keyFile: string },
  cache = false,
  deletes = true,
): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    ...(cache ? ['  cache:', '    blobdescriptor: inmemory'] : []),
    '  delete:',
    `    enabled: ${deletes}`,
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
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

/** Waits until `child` (a server, named `what`) accepts connections on 127.0.0.1:`port`. */
export async function waitListening(
  port: number,
  child: ChildProcess,
  what: string,
  stderr: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}: ${stderr()}`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
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

/** Starts a registry with its own temp storage and port; `stop()` it in an after() hook. */
export async function startRegistry(
  auth: RegistryAuth = { kind: 'none' },
  /** cache: the in-memory blob descriptor cache of the packaged config (/etc/docker/registry/config.yml). */
  /** deletes: false answers 405 to DELETE (distribution's default without storage.delete.enabled). */
  o: { port?: number; storage?: string; tls?: boolean; cache?: boolean; deletes?: boolean } = {},
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
  await writeFile(configFile, configYaml(storage, port, auth, htpasswdFile, tls, o.cache, o.deletes ?? true));

  let child!: ChildProcess;
  let err = '';
  const launch = async (): Promise<void> => {
    err = '';
    child = spawn(REGISTRY_BIN, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => {
      if (err.length < 8192) err += c.toString('utf8');
    });
    await waitListening(port, child, 'docker-registry', () => err);
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
    host: `127.0.0.1:${port}`,
    port,
    storage,
    stop,
    restart: launch,
    get process() {
      return child;
    },
  };
}
