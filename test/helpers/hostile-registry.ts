import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BIN, cliEnv, ROOT, type RunResult } from './cli.js';

/**
 * A registry written to hurt its client, on 127.0.0.1: enough of the distribution API (/v2/, manifests and
 * blobs by digest or tag, the referrers API, tag lists; every list paged with `Link: rel="next"`) served from
 * a graph the test describes, made up on demand so it can be as large (or endless) as the test wants without
 * this process holding it.
 */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_DESC = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY_JSON), size: 2 };

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface Content {
  mediaType: string;
  bytes: Buffer;
}

export interface Page<T> {
  items: T[];
  /** A next page follows (sent as a `Link: rel="next"` header). */
  more: boolean;
}

export interface HostileGraph {
  /** Content by tag or digest; undefined answers 404. */
  content(ref: string): Content | undefined;
  /** One page of a subject's referrers; undefined answers 404 (no referrers API). */
  referrers?(subject: string, page: number): Page<Desc> | undefined;
  /** One page of the tag list. */
  tags?(page: number): Page<string>;
}

export interface HostileRegistry {
  host: string;
  /** Requests answered, by kind. */
  counts: Record<'manifest' | 'blob' | 'referrers' | 'tags' | 'other', number>;
  /** Manifests and blobs asked for, by tag or digest (each once). */
  asked: Set<string>;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | undefined,
  head: boolean,
): void {
  res.writeHead(status, { ...headers, 'content-length': String(body?.byteLength ?? 0) });
  res.end(head ? undefined : body);
}

export async function startHostileRegistry(graph: HostileGraph): Promise<HostileRegistry> {
  const counts: HostileRegistry['counts'] = { manifest: 0, blob: 0, referrers: 0, tags: 0, other: 0 };
  const asked = new Set<string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const head = req.method === 'HEAD';
    const page = Number(url.searchParams.get('page') ?? '0');
    let m: RegExpExecArray | null;
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      counts.other++;
      return send(res, 200, { 'content-type': 'application/json' }, Buffer.from('{}'), head);
    }
    if ((m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname))) {
      counts[m[2] === 'manifests' ? 'manifest' : 'blob']++;
      const ref = decodeURIComponent(m[3] ?? '');
      asked.add(ref);
      const c = graph.content(ref);
      if (!c)
        return send(
          res,
          404,
          { 'content-type': 'application/json' },
          Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}'),
          head,
        );
      return send(res, 200, { 'content-type': c.mediaType, 'docker-content-digest': sha256(c.bytes) }, c.bytes, head);
    }
    if ((m = /^\/v2\/(.+)\/referrers\/([^/]+)$/.exec(url.pathname))) {
      counts.referrers++;
      const p = graph.referrers?.(m[2] ?? '', page);
      if (!p)
        return send(
          res,
          404,
          { 'content-type': 'application/json' },
          Buffer.from('{"errors":[{"code":"NOT_FOUND"}]}'),
          head,
        );
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: p.items }));
      const link: Record<string, string> = p.more ? { link: `<${url.pathname}?page=${page + 1}>; rel="next"` } : {};
      return send(res, 200, { 'content-type': OCI_INDEX, ...link }, body, head);
    }
    if ((m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)) && graph.tags) {
      counts.tags++;
      const p = graph.tags(page);
      const body = Buffer.from(JSON.stringify({ name: m[1], tags: p.items }));
      const link: Record<string, string> = p.more ? { link: `<${url.pathname}?page=${page + 1}>; rel="next"` } : {};
      return send(res, 200, { 'content-type': 'application/json', ...link }, body, head);
    }
    counts.other++;
    send(res, 404, { 'content-type': 'application/json' }, Buffer.from('{"errors":[{"code":"NOT_FOUND"}]}'), head);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    counts,
    asked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Canonical manifest bytes and their descriptor. */
export function manifestOf(body: Record<string, unknown>, mediaType = OCI_MANIFEST): { bytes: Buffer; desc: Desc } {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...body }));
  return { bytes, desc: { mediaType, digest: sha256(bytes), size: bytes.byteLength } };
}

/**
 * A graph made up as it is walked: manifests by digest, remembered only as the few fields that rebuild them
 * (so an endless graph costs this process little). `make(parentKey)` gives a node's body from its key.
 */
export class LazyGraph {
  readonly #nodes = new Map<string, { key: string; mediaType: string; build: () => Buffer }>();
  readonly #tags = new Map<string, string>();
  readonly #byKey = new Map<string, Desc>();

  /** Registers a manifest under `key` (once: a key seen before gives its descriptor), built again from `build` whenever served. */
  add(key: string, mediaType: string, build: () => Buffer, tag?: string): Desc {
    const known = this.#byKey.get(key);
    if (known) {
      if (tag) this.#tags.set(tag, known.digest);
      return known;
    }
    const bytes = build();
    const digest = sha256(bytes);
    if (!this.#nodes.has(digest)) this.#nodes.set(digest, { key, mediaType, build });
    if (tag) this.#tags.set(tag, digest);
    const desc = { mediaType, digest, size: bytes.byteLength };
    this.#byKey.set(key, desc);
    return desc;
  }

  /** Registers a blob (its bytes are kept). */
  blob(bytes: Buffer, mediaType = 'application/vnd.test.layer'): Desc {
    const digest = sha256(bytes);
    this.#nodes.set(digest, { key: digest, mediaType, build: () => bytes });
    return { mediaType, digest, size: bytes.byteLength };
  }

  keyOf(digest: string): string | undefined {
    return this.#nodes.get(digest)?.key;
  }

  get size(): number {
    return this.#nodes.size;
  }

  content(ref: string): Content | undefined {
    if (ref === EMPTY_DESC.digest) return { mediaType: EMPTY_DESC.mediaType, bytes: EMPTY_JSON };
    const n = this.#nodes.get(this.#tags.get(ref) ?? ref);
    return n ? { mediaType: n.mediaType, bytes: n.build() } : undefined;
  }
}

/** A referrer manifest of `subject` (an empty config, no layers), padded to about `pad` bytes. */
export function referrerBuilder(subject: Desc, id: string, pad: number): () => Buffer {
  const padding = 'x'.repeat(pad);
  return () =>
    manifestOf({
      artifactType: 'application/vnd.test.hostile',
      config: EMPTY_DESC,
      layers: [],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { id, pad: padding },
    }).bytes;
}

export interface Measured extends RunResult {
  /** Peak resident set size of the CLI (VmHWM), KiB. */
  peakKiB: number;
  /** Stopped from outside: it ran past `timeoutMs` or over `rssCapKiB`. */
  killed: 'timeout' | 'rss' | undefined;
  ms: number;
}

function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid `/usr/bin/time` started (its only child). */
function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the built CLI (or `script`) under `/usr/bin/time` (whose `%M` is the CLI's peak RSS, exact) and watches its
 * VmHWM
 * every 50 ms: a run that outlives `timeoutMs` or grows past `rssCapKiB` is killed (SIGKILL to its process
 * group), so a test of a hang or a leak stops by itself.
 */
export function measuredRun(
  args: readonly string[],
  o: { home: string; env?: NodeJS.ProcessEnv; timeoutMs: number; rssCapKiB: number; script?: string },
): Promise<Measured> {
  const report = join(o.home, `.time-${process.hrtime.bigint()}`);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, process.execPath, o.script ?? BIN, ...args], {
      cwd: ROOT,
      env: { ...cliEnv(), NO_COLOR: '1', SCRYDON_HOME: o.home, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let peak = 0;
    let cli: number | undefined;
    let killed: Measured['killed'];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const watch = setInterval(() => {
      if (child.pid === undefined) return;
      cli ??= childOf(child.pid);
      if (cli !== undefined) peak = Math.max(peak, vmHwm(cli));
      const why = peak > o.rssCapKiB ? 'rss' : Date.now() - started > o.timeoutMs ? 'timeout' : undefined;
      if (why && !killed) {
        killed = why;
        process.kill(-child.pid, 'SIGKILL');
      }
    }, 50);
    child.on('error', (e) => {
      clearInterval(watch);
      reject(e);
    });
    child.on('close', (code) => {
      clearInterval(watch);
      const ms = Date.now() - started;
      let timed = Number.NaN;
      try {
        timed = Number(/^(\d+)\s*$/m.exec(readFileSync(report, 'utf8'))?.[1]);
        unlinkSync(report);
      } catch {
        // killed: time wrote nothing
      }
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        peakKiB: Number.isFinite(timed) ? timed : peak,
        killed,
        ms,
      });
    });
  });
}
