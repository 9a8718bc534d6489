/**
 * Slow and silent servers against the built CLI: a registry front on 127.0.0.1 that drips a manifest or a blob
 * (a few bytes every quarter second, which resets any idle timer forever), a token endpoint that accepts the
 * connection and never answers or drips its head, a TLS port that never completes the handshake, and a steady but
 * endless blob for the whole-command deadline. Each pull must stop by itself within its bound (asserted with 5 s of
 * slack, never as a speed), fail with `timeout` naming the host and the step, tag nothing, keep its peak RSS under
 * 150 MiB, and leave no temp file once the next gc has run. The bounds are made small through the environment
 * (SCRYDON_IDLE_TIMEOUT, SCRYDON_CONNECT_TIMEOUT, SCRYDON_TIMEOUT or --timeout), as a user would set them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { BIN, cleanupTemps, expectError, json, ok, tempDir, type RunResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedPack, type Seeded } from '../helpers/seed-store.js';

/** The idle window (and speed-floor window) and connect bound the pulls run with. */
const WINDOW_MS = 1000;
/** A drip is ended by the speed floor at most a window and a quarter after its first byte. */
const FLOOR_MS = 1.25 * WINDOW_MS;
const FAST = { SCRYDON_IDLE_TIMEOUT: '1s', SCRYDON_CONNECT_TIMEOUT: '1s' };
/** The retry policy's first backoff (±25%), paid once by a request retried after a timeout. */
const BACKOFF_MS = 320;
/** A run still going after its bound plus this is killed and the test fails: it was not bounded. */
const SLACK_MS = 5000;

let registry: RunningRegistry;
let seeded: Seeded;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  registry = await startRegistry();
  const src = await tempDir();
  // a small blob (read through node:http) and one over 1 MiB (read by transport/bulk-get.ts)
  seeded = await seedPack(join(src, 'catalog'), 'slow.pack:1', await tempDir(), {
    layers: [200 * 1024, 2 * 1024 * 1024],
  });
  await ok(['push', 'slow.pack:1', `${registry.host}/slow/pack:1`, '--plain-http'], { home: src });
});

after(async () => {
  for (const c of closers.splice(0)) await c();
  await registry?.stop();
  await cleanupTemps();
});

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return (server.address() as AddressInfo).port;
}

interface Drip {
  /** Bytes written at a time, and how often. */
  bytes: number;
  everyMs: number;
}

interface FrontOptions {
  /** Responses answered slowly: the head at once, then the registry's body `bytes` every `everyMs`. */
  drip?: (req: IncomingMessage) => Drip | undefined;
  /** Every request without Authorization is challenged to fetch a token at this realm. */
  realm?: string;
}

/** A registry front: passes requests to the test registry, dripping the answers `drip` picks. */
async function front(o: FrontOptions): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (o.realm && !req.headers.authorization) {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${o.realm}",service="front"`,
        'content-type': 'application/json',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const up = request(
      {
        host: '127.0.0.1',
        port: registry.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: registry.host },
      },
      (ur) => {
        const drip = o.drip?.(req);
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        if (!drip) {
          ur.pipe(res);
          return;
        }
        const parts: Buffer[] = [];
        ur.on('data', (c: Buffer) => parts.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(parts);
          let at = 0;
          const timer = setInterval(() => {
            if (at >= body.byteLength) {
              clearInterval(timer);
              res.end();
              return;
            }
            res.write(body.subarray(at, at + drip.bytes));
            at += drip.bytes;
          }, drip.everyMs);
          res.on('close', () => clearInterval(timer));
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return `127.0.0.1:${await listen(server)}`;
}

/** A TCP port that accepts and reads, and never writes: a hanging token service, or TLS that never answers. */
async function silent(): Promise<number> {
  return listen(createNetServer((s) => s.on('data', () => undefined).on('error', () => undefined)));
}

/** An HTTP server that starts its answer and then drips its head one byte every 250 ms, never ending it. */
async function headDripper(): Promise<number> {
  return listen(
    createNetServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\n');
        const timer = setInterval(() => s.write('x'), 250);
        s.on('close', () => clearInterval(timer));
      });
    }),
  );
}

interface Timed extends RunResult {
  ms: number;
  /** VmHWM of the CLI process, in KiB (sampled until it exits). */
  peakKiB: number;
  /** Killed by the test at its cap: the run was not bounded. */
  killed: boolean;
}

/** Runs the CLI, timing it and sampling its peak RSS; kills it (and says so) after `capMs`. */
function timed(args: readonly string[], home: string, env: NodeJS.ProcessEnv, capMs: number): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', SCRYDON_HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let peakKiB = 0;
    let killed = false;
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const sample = setInterval(() => {
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (s) => (peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0))),
        () => undefined,
      );
    }, 50);
    const cap = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, capMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sample);
      clearTimeout(cap);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
        peakKiB,
        killed,
      });
    });
  });
}

/**
 * Pulls `ref` into a fresh home, and checks the run was abandoned within `boundMs` with `timeout` naming `host`
 * and `step`, in under 150 MiB, nothing tagged, and no temp file left after the next gc.
 */
async function abandoned(
  ref: string,
  boundMs: number,
  host: string,
  step: RegExp,
  env: NodeJS.ProcessEnv = FAST,
  extra: readonly string[] = [],
): Promise<Timed> {
  const home = await tempDir();
  const r = await timed(['pull', ref, '--plain-http', ...extra], home, env, boundMs + SLACK_MS);
  assert.equal(r.killed, false, `still running ${(boundMs + SLACK_MS) / 1000} s later: not bounded\n${r.stderr}`);
  expectError(r, 'timeout');
  assert.ok(r.ms < boundMs + SLACK_MS, `took ${r.ms} ms, bound ${boundMs} ms`);
  assert.ok(r.stderr.includes(host), `names the host ${host}: ${r.stderr}`);
  assert.match(r.stderr, step);
  assert.ok(r.peakKiB > 0 && r.peakKiB <= 150 * 1024, `peak RSS ${r.peakKiB} KiB`);
  assert.deepEqual(await json(['ls'], { home }), [], 'nothing is tagged');
  assert.deepEqual(await leftovers(home), [], 'the staging was discarded by the failed command itself');
  await ok(['gc', '--grace', '0'], { home });
  assert.deepEqual(await leftovers(home), [], 'no temp file after gc');
  return r;
}

/** Entries of the store's ingest directory and of $SCRYDON_HOME/tmp (lock files aside). */
async function leftovers(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [join(home, 'catalog', 'ingest'), join(home, 'tmp')]) {
    for (const n of await readdir(dir).catch(() => [])) if (!n.endsWith('.lock')) out.push(join(dir, n));
  }
  return out;
}

/** The figures of a run, in the test's output (`# …` lines). */
function figures(t: TestContext, r: Timed): void {
  t.diagnostic(`failed after ${(r.ms / 1000).toFixed(1)} s, peak RSS ${(r.peakKiB / 1024).toFixed(0)} MiB`);
}

const isGet = (req: IncomingMessage, part: string): boolean => req.method === 'GET' && (req.url ?? '').includes(part);

describe('a registry that drips', () => {
  test('a manifest a few bytes at a time: abandoned within a window and a quarter (a body is not retried)', async (t) => {
    const host = await front({ drip: (req) => (isGet(req, '/manifests/') ? { bytes: 1, everyMs: 250 } : undefined) });
    figures(
      t,
      await abandoned(
        `${host}/slow/pack:1`,
        FLOOR_MS,
        host,
        /only \d+ bytes in 1 s, below the floor of 1 KiB\/s \(receiving the answer\) while fetching manifest/,
      ),
    );
  });

  test('a small blob (node:http): abandoned, resumed once, abandoned again', async (t) => {
    const small = seeded.layers[0]?.digest ?? '';
    const host = await front({ drip: (req) => (isGet(req, small) ? { bytes: 4, everyMs: 250 } : undefined) });
    figures(
      t,
      await abandoned(
        `${host}/slow/pack:1`,
        2 * FLOOR_MS + BACKOFF_MS,
        host,
        new RegExp(`below the floor .*\\(receiving the answer\\) while fetching blob ${small}.*\\(2 attempts\\)`),
      ),
    );
  });

  test('a blob over 1 MiB (bulk-get.ts): abandoned, resumed once, abandoned again', async (t) => {
    const big = seeded.layers[1]?.digest ?? '';
    const host = await front({ drip: (req) => (isGet(req, big) ? { bytes: 4, everyMs: 250 } : undefined) });
    figures(
      t,
      await abandoned(
        `${host}/slow/pack:1`,
        2 * FLOOR_MS + BACKOFF_MS,
        host,
        new RegExp(`below the floor .*\\(receiving the answer\\) while fetching blob ${big}.*\\(2 attempts\\)`),
      ),
    );
  });
});

describe('a token endpoint that stalls', () => {
  test('it accepts the connection and never answers: two idle bounds, not one per retry', async (t) => {
    const token = `127.0.0.1:${await silent()}`;
    const host = await front({ realm: `http://${token}/token` });
    figures(
      t,
      await abandoned(
        `${host}/slow/pack:1`,
        2 * WINDOW_MS + BACKOFF_MS,
        token,
        /no data for 1 s \(waiting for the answer\) while getting a token .*\(2 attempts\)/,
      ),
    );
  });

  test('it drips its response head: abandoned by the speed floor', async (t) => {
    const token = `127.0.0.1:${await headDripper()}`;
    const host = await front({ realm: `http://${token}/token` });
    figures(
      t,
      await abandoned(
        `${host}/slow/pack:1`,
        2 * FLOOR_MS + BACKOFF_MS,
        token,
        /below the floor .*\(receiving the answer\) while getting a token .*\(2 attempts\)/,
      ),
    );
  });
});

describe('connecting', () => {
  test('a TLS handshake that never completes: the connect bound, retried once', async (t) => {
    const host = `127.0.0.1:${await silent()}`;
    const home = await tempDir();
    // an idle bound longer than the connect bound, so that the connect bound is the one that ends each attempt
    const r = await timed(
      ['pull', `${host}/slow/pack:1`],
      home,
      { SCRYDON_CONNECT_TIMEOUT: '1s', SCRYDON_IDLE_TIMEOUT: '10s' },
      2 * 1000 + BACKOFF_MS + SLACK_MS,
    );
    figures(t, r);
    assert.equal(r.killed, false, `not bounded:\n${r.stderr}`);
    expectError(r, 'timeout');
    assert.match(
      r.stderr,
      new RegExp(`${host}: no TLS connection within 1 s \\(connecting\\) while .*\\(2 attempts\\)`),
    );
  });
});

describe('git sources', () => {
  test("a git server that never answers: git gives up at the speed floor scrydon gives it (curl's low-speed limit)", async (t) => {
    const host = `127.0.0.1:${await silent()}`;
    const home = await tempDir();
    const args = [
      'source',
      'test',
      'stalled',
      '--type',
      'git',
      '--url',
      `http://${host}/repo.git`,
      '--plain-http',
      '--signature-policy',
      'unsigned-allowed',
    ];
    // ls-remote is not made: one fetch, one window of curl's check (whole seconds), then git's exit
    const bound = 2 * WINDOW_MS;
    const r = await timed(args, home, FAST, bound + SLACK_MS);
    figures(t, r);
    assert.equal(r.killed, false, `not bounded:\n${r.stderr}`);
    expectError(r, 'timeout');
    assert.match(r.stderr, new RegExp(`fetching main from http://${host}/repo.git: .*Operation too slow`));
  });

  test("a reconcile under SCRYDON_TIMEOUT: the run's git is ended at the deadline (its helper too), the run recorded as failed", async (t) => {
    const host = `127.0.0.1:${await silent()}`;
    const home = await tempDir();
    const file = join(await tempDir(), 'sources.yaml');
    await writeFile(
      file,
      [
        'apiVersion: scrydon.io/v1',
        'kind: SourceList',
        'sources:',
        '  - name: stalled',
        '    type: git',
        `    url: http://${host}/repo.git`,
        '    transport: {plainHttp: true}',
        '    signaturePolicy: {kind: unsigned-allowed}',
        '',
      ].join('\n'),
    );
    // an idle window longer than the deadline: only the deadline can end it
    const r = await timed(
      ['reconcile', '-f', file, '--json'],
      home,
      { SCRYDON_TIMEOUT: '2s', SCRYDON_IDLE_TIMEOUT: '30s' },
      2000 + SLACK_MS,
    );
    figures(t, r);
    assert.equal(r.killed, false, `not bounded:\n${r.stderr}`);
    assert.equal(r.code, 1);
    const [run] = JSON.parse(r.stdout) as Array<{ outcome: string; code: string; detail: string }>;
    assert.equal(run?.outcome, 'failed');
    assert.equal(run?.code, 'fetch_failed');
    assert.match(run?.detail ?? '', new RegExp(`^timeout: SCRYDON_TIMEOUT=2s ran out while .*http://${host}/repo.git`));
  });
});

describe('the whole-command deadline', () => {
  // above the speed floor (1 KiB/s): only the deadline stops these
  const steady: Drip = { bytes: 4096, everyMs: 200 };

  test('--timeout stops a steady but endless blob, and the staging is discarded', async (t) => {
    const big = seeded.layers[1]?.digest ?? '';
    const host = await front({ drip: (req) => (isGet(req, big) ? steady : undefined) });
    const r = await abandoned(`${host}/slow/pack:1`, 3000, host, /--timeout 3s ran out while fetching blob/, FAST, [
      '--timeout',
      '3s',
    ]);
    figures(t, r);
    assert.ok(r.ms >= 3000, 'not before the deadline');
  });

  test('SCRYDON_TIMEOUT does the same', async (t) => {
    const small = seeded.layers[0]?.digest ?? '';
    const host = await front({ drip: (req) => (isGet(req, small) ? steady : undefined) });
    figures(
      t,
      await abandoned(`${host}/slow/pack:1`, 3000, host, /SCRYDON_TIMEOUT=3s ran out while fetching blob/, {
        ...FAST,
        SCRYDON_TIMEOUT: '3s',
      }),
    );
  });

  test('an invalid deadline is a usage error', async () => {
    const r = await timed(['pull', '127.0.0.1:1/x:1', '--timeout', 'soon'], await tempDir(), {}, 20_000);
    expectError(r, 'usage', 2);
    assert.match(r.stderr, /invalid --timeout "soon"/);
  });
});
