/**
 * The per-attempt time bounds of the registry transport (transport/time-bounds.ts) against real sockets on
 * 127.0.0.1, with small windows: a dripping body fails at the speed floor, a silent server costs two attempts and
 * no more, and a fast server whose reader holds the body back (longer than several windows) is never failed for
 * it, through node:http and through bulk-get.ts alike.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { HttpTransport } from '../../src/registry/transport/http.js';
import { bodyError } from '../../src/registry/transport/net-errors.js';
import type { NetTimeouts } from '../../src/registry/transport/time-bounds.js';

const WINDOW = 300;
const BOUNDS: NetTimeouts = { connectMs: WINDOW, idleMs: WINDOW, minBytesPerSecond: 1024 };
const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A server that runs `answer` on each connection once its request head is in; counts connections. */
async function server(
  answer: (sock: Socket) => void,
): Promise<{ url: (path: string) => URL; connections: () => number }> {
  let n = 0;
  const srv = createServer((sock) => {
    n++;
    sock.on('error', () => undefined);
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      answer(sock);
    };
    sock.on('data', onData);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { url: (path) => new URL(`http://127.0.0.1:${port}${path}`), connections: () => n };
}

function transport(): HttpTransport {
  return new HttpTransport({
    settingsFor: () => ({ plainHttp: true, insecure: false }),
    timeouts: BOUNDS,
    retry: { attempts: 4, baseMs: 10, maxMs: 10 },
  });
}

async function readAll(body: Readable): Promise<number> {
  let n = 0;
  for await (const c of body) n += (c as Buffer).byteLength;
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const bulk of [false, true]) {
  describe(bulk ? 'bulk-get.ts' : 'node:http', () => {
    test('a body dripped a few bytes at a time fails at the speed floor (ETIMEDOUT), named as a timeout', async () => {
      const s = await server((sock) => {
        sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
        const timer = setInterval(() => sock.write('abcd'), 50);
        sock.on('close', () => clearInterval(timer));
      });
      const t = transport();
      try {
        const res = await t.send({ method: 'GET', url: s.url('/v2/x/blobs/sha256:1'), what: 'fetching blob x', bulk });
        const started = Date.now();
        const err = await readAll(res.body).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.equal((err as { code?: string }).code, 'ETIMEDOUT');
        assert.match((err as Error).message, /below the floor of 1 KiB\/s \(receiving the answer\)/);
        assert.ok(Date.now() - started < 10 * WINDOW, 'within a few windows');
        const coded = bodyError(err, 'fetching blob x', res.url.host);
        assert.ok(isScrydonError(coded, 'timeout') && coded.message.includes(res.url.host));
      } finally {
        await t.close();
      }
    });

    test('a fast server whose reader holds the body back for several windows is not failed', async () => {
      const payload = randomBytes(4 << 20);
      const s = await server((sock) => {
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.byteLength}\r\n\r\n`);
        sock.end(payload);
      });
      const t = transport();
      try {
        const res = await t.send({ method: 'GET', url: s.url('/v2/x/blobs/sha256:2'), what: 'fetching blob y', bulk });
        let n = 0;
        let held = false;
        // read a little, then hold the body (paused, its buffer full) for 4 windows, then read the rest
        for await (const c of res.body) {
          n += (c as Buffer).byteLength;
          if (!held && n > 64 * 1024) {
            held = true;
            await sleep(4 * WINDOW);
          }
        }
        assert.equal(n, payload.byteLength);
      } finally {
        await t.close();
      }
    });
  });
}

test('a server that accepts and never answers costs two attempts (a timeout is retried once), then `timeout`', async () => {
  const s = await server(() => undefined);
  const t = transport();
  try {
    const err = await t.send({ method: 'GET', url: s.url('/token'), what: 'getting a token' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isScrydonError(err, 'timeout'), String(err));
    assert.match(
      (err as Error).message,
      /no data for 0\.3 s \(waiting for the answer\) while getting a token \(2 attempts\)/,
    );
    assert.equal(s.connections(), 2);
  } finally {
    await t.close();
  }
});

test('a dropped connection is still retried as the policy says (not capped like a timeout)', async () => {
  let n = 0;
  const s = await server((sock) => {
    if (++n < 4) sock.destroy();
    else sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  const t = transport();
  try {
    const res = await t.send({ method: 'GET', url: s.url('/v2/'), what: 'pinging' });
    assert.equal(res.status, 200);
    assert.equal(await readAll(res.body), 2);
    assert.equal(s.connections(), 4);
  } finally {
    await t.close();
  }
});

test('a small answer read late (after its whole body is in) is not failed for the wait', async () => {
  const s = await server((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
  const t = transport();
  try {
    const res = await t.send({ method: 'GET', url: s.url('/v2/x/manifests/1'), what: 'fetching manifest' });
    await sleep(4 * WINDOW);
    assert.equal(await readAll(res.body), 5);
  } finally {
    await t.close();
  }
});
