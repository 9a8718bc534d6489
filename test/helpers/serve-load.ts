import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

/**
 * A registry load generator (the serve benchmark's clients mode and the serve load test): `clients` concurrent
 * clients over keep-alive connections, each looping over random packs: GET the manifest by tag, GET it by digest,
 * then HEAD and GET each blob it names. Every answer is checked: status, Docker-Content-Digest, Content-Length,
 * and the sha256 of every body against the digest asked for.
 */

interface LoadBlob {
  digest: string;
  size: number;
}

export interface LoadPack {
  /** Repository path on the server (`bench.p00042`, or `bench/bench.p00042` on distribution). */
  repository: string;
  tag: string;
  manifest: LoadBlob;
  /** Config and layers. */
  blobs: LoadBlob[];
}

export interface LoadOptions {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  packs: readonly LoadPack[];
  clients: number;
  /** Stop starting requests after this long… */
  durationMs?: number;
  /** …or after this many rounds (one pack each) per client. */
  roundsPerClient?: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  seconds: number;
  requests: number;
  /** Requests that failed at the socket (refused, reset, timed out). */
  errors: number;
  /** Answers that were not 2xx. */
  non2xx: number;
  /** 2xx answers with a wrong digest header, length or body. */
  wrong: number;
  /** Up to 10 descriptions of what went wrong. */
  failures: string[];
  p50ms: number;
  p99ms: number;
}

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

interface Answer {
  status: number;
  digestHeader: string | undefined;
  length: number;
  body: Buffer;
}

function once(agent: Agent, url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = res.headers['docker-content-digest'];
        resolve({
          status: res.statusCode ?? 0,
          digestHeader: typeof h === 'string' ? h : undefined,
          length: Number(res.headers['content-length'] ?? -1),
          body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('no answer in 60 s')));
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/** Runs the load; resolves when every client has stopped. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients, maxFreeSockets: o.clients });
  const latencies: number[] = [];
  const r: LoadResult = { seconds: 0, requests: 0, errors: 0, non2xx: 0, wrong: 0, failures: [], p50ms: 0, p99ms: 0 };
  const fail = (what: string): void => {
    if (r.failures.length < 10) r.failures.push(what);
  };
  const start = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : start + o.durationMs;

  /** One request and its checks; `expect` is what the body (or, for HEAD, the headers) must be. */
  const check = async (method: 'GET' | 'HEAD', path: string, expect: LoadBlob, accept?: string): Promise<void> => {
    const t0 = performance.now();
    let a: Answer;
    try {
      a = await once(agent, `${o.url}${path}`, method, { ...o.headers, ...(accept ? { accept } : {}) });
    } catch (e) {
      r.requests++;
      r.errors++;
      fail(`${method} ${path}: ${(e as Error).message}`);
      return;
    }
    r.requests++;
    latencies.push(performance.now() - t0);
    if (a.status < 200 || a.status > 299) {
      r.non2xx++;
      fail(`${method} ${path}: ${a.status} ${a.body.toString('utf8').slice(0, 200)}`);
      return;
    }
    const bad =
      a.digestHeader !== expect.digest
        ? `Docker-Content-Digest ${a.digestHeader}`
        : a.length !== expect.size
          ? `Content-Length ${a.length}`
          : method === 'GET' && (a.body.byteLength !== expect.size || sha256(a.body) !== expect.digest)
            ? `a body of ${a.body.byteLength} bytes that does not hash to the digest`
            : undefined;
    if (bad) {
      r.wrong++;
      fail(`${method} ${path}: ${bad}`);
    }
  };

  const client = async (): Promise<void> => {
    for (let round = 0; round < (o.roundsPerClient ?? Infinity) && performance.now() < deadline; round++) {
      const p = o.packs[Math.floor(Math.random() * o.packs.length)] as LoadPack;
      const base = `/v2/${p.repository}`;
      await check('GET', `${base}/manifests/${p.tag}`, p.manifest, ACCEPT);
      await check('GET', `${base}/manifests/${p.manifest.digest}`, p.manifest, ACCEPT);
      for (const b of p.blobs) {
        await check('HEAD', `${base}/blobs/${b.digest}`, b);
        await check('GET', `${base}/blobs/${b.digest}`, b);
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, client));
  r.seconds = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  r.p50ms = percentile(sorted, 0.5);
  r.p99ms = percentile(sorted, 0.99);
  return r;
}

/**
 * The packs of a store's index.json (tags of the form NAME:TAG with no registry part), read from the layout files:
 * `repository(name)` maps the store name to the repository a server holds it under.
 */
export async function packsOfStore(catalog: string, repository: (name: string) => string): Promise<LoadPack[]> {
  const index = JSON.parse(await readFile(join(catalog, 'index.json'), 'utf8')) as {
    manifests: Array<LoadBlob & { annotations?: Record<string, string> }>;
  };
  const packs: LoadPack[] = [];
  for (const m of index.manifests) {
    const ref = m.annotations?.['org.opencontainers.image.ref.name'];
    const colon = ref?.lastIndexOf(':') ?? -1;
    if (ref === undefined || colon < 0 || ref.includes('/') || ref.includes('@')) continue;
    const body = JSON.parse(await readFile(join(catalog, 'blobs', 'sha256', m.digest.slice(7)), 'utf8')) as {
      config: LoadBlob;
      layers: LoadBlob[];
    };
    packs.push({
      repository: repository(ref.slice(0, colon)),
      tag: ref.slice(colon + 1),
      manifest: { digest: m.digest, size: m.size },
      blobs: [body.config, ...body.layers].map((b) => ({ digest: b.digest, size: b.size })),
    });
  }
  return packs;
}
