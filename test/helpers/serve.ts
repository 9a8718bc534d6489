import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { Store } from '../../src/store/store-target.js';
import { cliEnv, scrydonCommand, tempDir } from './cli.js';

/** A `scrydon serve` started by a test on 127.0.0.1 with a system-chosen port; stop() it in after(). */
export interface RunningServe {
  /** `http://127.0.0.1:PORT` (or https). */
  url: string;
  /** `127.0.0.1:PORT`, for docker:// references. */
  host: string;
  process: ChildProcess;
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `bin`: a scrydon executable to run instead of the built bundle (cli.ts's scrydonCommand). */
export async function startServe(
  home: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  bin?: string,
): Promise<RunningServe> {
  const addr = args.includes('--addr') ? [] : ['--addr', '127.0.0.1:0'];
  const [command, pre] = scrydonCommand(bin);
  const child = spawn(command, [...pre, 'serve', ...addr, ...args], {
    env: { ...cliEnv(), NO_COLOR: '1', SCRYDON_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scrydon serve did not start in 30 s:\n${err}`)), 30_000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const m = /listening on (https?:\/\/[^\s]+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`scrydon serve exited ${code}:\n${err}`));
    });
  });
  return {
    url,
    host: new URL(url).host,
    process: child,
    stderr: () => err,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      return { ...r, stdout: out, stderr: err };
    },
  };
}

interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request, TLS certificates not checked (test servers are self-signed); the body read whole. */
export function http(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: o.method ?? 'GET', headers: o.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** An htpasswd file with bcrypt entries, written by Apache's htpasswd (as a site would). */
export async function htpasswdFile(users: Record<string, string>): Promise<string> {
  const dir = await tempDir('scrydon-htpasswd-');
  const file = join(dir, 'htpasswd');
  for (const [user, password] of Object.entries(users)) {
    const r = spawnSync('htpasswd', ['-bB', ...(Object.keys(users)[0] === user ? ['-c'] : []), file, user, password], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`htpasswd failed (install apache2-utils): ${r.stderr}`);
  }
  return file;
}

/** A self-signed certificate for 127.0.0.1 and its key. */
export async function selfSignedCert(): Promise<{ cert: string; key: string }> {
  const dir = await tempDir('scrydon-tls-');
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

/** A small but real container image (OCI config with rootfs, one gzip tar layer holding /hello.txt). */
export async function seedImage(catalog: string, ref: string): Promise<{ manifest: Descriptor; layer: Descriptor }> {
  const pack = tar.pack();
  pack.entry({ name: 'hello.txt', mode: 0o644, mtime: new Date(0) }, 'hello from an image\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const tarBytes = Buffer.concat(chunks);
  const layerBytes = gzipSync(tarBytes);
  const diffId = `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`;
  const store = await Store.open(catalog);
  const layer = descriptorOf('application/vnd.oci.image.layer.v1.tar+gzip', layerBytes);
  const configBytes = encodeJson({
    architecture: 'amd64',
    os: 'linux',
    created: '2025-01-01T00:00:00Z',
    config: { Cmd: ['/bin/true'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  });
  const config = descriptorOf(MediaType.ociConfig, configBytes);
  const manifestBytes = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] });
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes);
  await store.push(layer, Readable.from([layerBytes]));
  await store.push(config, Readable.from([configBytes]));
  await store.push(manifest, Readable.from([manifestBytes]));
  await store.tag(manifest, ref);
  return { manifest, layer };
}

/** A referrer (an SBOM-like artifact) whose subject is `subject`, stored untagged as the store keeps referrers. */
export async function seedSbomReferrer(
  catalog: string,
  subject: Descriptor,
  artifactType: string,
  annotations: Record<string, string>,
): Promise<Descriptor> {
  const store = await Store.open(catalog);
  const body = Buffer.from(JSON.stringify({ note: 'a referrer' }));
  const layer = descriptorOf('application/json', body);
  const empty = descriptorOf(MediaType.ociEmpty, Buffer.from('{}'));
  const manifestBytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: empty,
    layers: [layer],
    subject,
    annotations,
  });
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes);
  await store.push(layer, Readable.from([body]));
  await store.push(empty, Readable.from([Buffer.from('{}')]));
  await store.push(manifest, Readable.from([manifestBytes]));
  return manifest;
}

export function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
