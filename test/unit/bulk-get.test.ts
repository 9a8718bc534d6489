/**
 * The hand-written HTTP/1.1 GET for blobs (src/registry/transport/bulk-get.ts) against real sockets: a TCP
 * server on 127.0.0.1 writes each response byte for byte as a test scripts it (split heads, chunked bodies,
 * cuts, silence), and a TLS server checks the same reader over TLS. The pure parts (head parser, chunked
 * decoder) are checked split at every byte.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { bulkGet, type BulkGetOptions } from '../../src/registry/transport/bulk-get.js';
import { ChunkedDecoder } from '../../src/registry/transport/chunked.js';
import { discard, type HttpResponse } from '../../src/registry/transport/http.js';
import { framingOf, parseHead } from '../../src/registry/transport/http1-head.js';
import { classify } from '../../src/registry/transport/net-errors.js';
import { selfSigned } from '../helpers/tls.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

interface Seen {
  /** The request head as the server received it. */
  request: Promise<string>;
}

/** A server whose one connection is answered by `answer` once the request head is in. */
async function server(
  answer: (sock: Socket, request: string) => void | Promise<void>,
  tls?: TlsOptions,
): Promise<{ url: URL } & Seen> {
  const srv = tls ? createTlsServer(tls) : createServer();
  servers.push(srv);
  let gotRequest: (s: string) => void = () => undefined;
  const request = new Promise<string>((r) => (gotRequest = r));
  srv.on(tls ? 'secureConnection' : 'connection', (sock: Socket) => {
    let head = '';
    sock.on('error', () => undefined);
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      gotRequest(head);
      void answer(sock, head);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const scheme = tls ? 'https' : 'http';
  return {
    url: new URL(`${scheme}://127.0.0.1:${(srv.address() as AddressInfo).port}/v2/acme/blobs/sha256:abc?x=1`),
    request,
  };
}

/** Writes `parts` one after another, each in its own write a little apart, so the client reads them separately. */
async function writeApart(sock: Socket, parts: Array<string | Buffer>): Promise<void> {
  for (const p of parts) {
    sock.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function get(url: URL, extra: Partial<BulkGetOptions> = {}): Promise<HttpResponse> {
  return bulkGet({
    url,
    headers: { 'user-agent': 'scrydon-test', authorization: 'Bearer t0k' },
    tls: {},
    idleMs: 10_000,
    ...extra,
  });
}

async function readAll(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A self-signed certificate for 127.0.0.1, in a temp directory the caller removes. */
function tempCert(): { key: string; cert: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scrydon-bulk-tls-'));
  return { ...selfSigned(dir), dir };
}

describe('bulk GET over a real socket', () => {
  test('Content-Length body with the head split across reads: every byte, in order; the request is HTTP/1.1 with Connection: close', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 123);
    const s = await server(async (sock) => {
      await writeApart(sock, [
        'HTTP/1.1 200 OK\r\nContent-Le',
        'ngth: ' + body.byteLength + '\r\nDocker-Content-Digest: sha256:abc\r',
        '\n\r\n',
        body.subarray(0, 7),
        body.subarray(7),
      ]);
    });
    const res = await get(s.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['docker-content-digest'], 'sha256:abc');
    assert.equal(sha(await readAll(res.body)), sha(body));
    const req = await s.request;
    assert.match(req, /^GET \/v2\/acme\/blobs\/sha256:abc\?x=1 HTTP\/1\.1\r\n/);
    assert.match(req, new RegExp(`\r\nhost: 127\\.0\\.0\\.1:${s.url.port}\r\n`));
    assert.match(req, /\r\nauthorization: Bearer t0k\r\n/);
    assert.match(req, /\r\nconnection: close\r\n\r\n$/);
  });

  test('chunked body with extensions and a trailer; bytes after the last chunk are not the body', async () => {
    const s = await server(async (sock) => {
      await writeApart(sock, [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel',
        'lo\r\n6\r',
        '\n world\r\n0\r\nX-Trailer: 1\r\n\r\n',
        'garbage',
      ]);
    });
    const res = await get(s.url);
    assert.equal((await readAll(res.body)).toString(), 'hello world');
  });

  test('a body without length ends with the connection; 100 Continue before the answer is skipped', async () => {
    const s = await server(async (sock) => {
      await writeApart(sock, ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\nuntil ', 'the end']);
      sock.end();
    });
    const res = await get(s.url);
    assert.equal((await readAll(res.body)).toString(), 'until the end');
  });

  test('an error answer comes back as a response with its body (the transport handles it); repeated headers are kept', async () => {
    const s = await server((sock) => {
      sock.end(
        'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="a"\r\nWWW-Authenticate: Basic realm="b"\r\nContent-Length: 9\r\n\r\n{"e":"x"}',
      );
    });
    const res = await get(s.url);
    assert.equal(res.status, 401);
    assert.deepEqual(res.headers['www-authenticate'], ['Bearer realm="a"', 'Basic realm="b"']);
    assert.equal((await readAll(res.body)).toString(), '{"e":"x"}');
  });

  test('empty bodies (Content-Length 0, 204) end at once; bytes past Content-Length are not the body; a header named __proto__ is a header', async () => {
    const answers: Array<[string, string]> = [
      ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', ''],
      ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', ''],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA', 'hello'],
    ];
    for (const [a, want] of answers) {
      const s = await server((sock) => void sock.write(a)); // the server keeps the connection open
      const res = await get(s.url);
      assert.equal((await readAll(res.body)).toString(), want, a.slice(0, 30));
    }
    const p = await server(
      (sock) => void sock.end('HTTP/1.1 200 OK\r\n__proto__: x\r\nConstructor: y\r\nContent-Length: 0\r\n\r\n'),
    );
    const res = await get(p.url);
    assert.equal(res.headers['__proto__' as 'age'], 'x');
    assert.equal(res.headers['constructor' as 'age'], 'y');
  });

  test('an answer that arrived whole is whole however late its body is read (TLS close in the same read, a held failure)', async () => {
    const { key, cert, dir } = tempCert();
    try {
      const s = await server((sock) => void sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n{"e":"x"}'), {
        key,
        cert,
      });
      const res = await get(s.url, { tls: { rejectUnauthorized: false } });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await readAll(res.body)).toString(), '{"e":"x"}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // a failure while nobody reads yet (the silence after a partial body times out) waits for the first read
    const t = await server((sock) => void sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc'));
    const res = await get(t.url, { idleMs: 100 });
    await new Promise((r) => setTimeout(r, 400)); // no listener on the body: an error emitted now would crash the test process
    await assert.rejects(readAll(res.body), { code: 'ETIMEDOUT' });
  });

  test('discard() closes a bulk body instead of downloading it', async () => {
    const total = 64 * 1024 * 1024;
    let sent = -1;
    const closed = new Promise<void>((resolve) => {
      void server((sock) => {
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
        const chunk = Buffer.alloc(1 << 20, 7);
        for (let i = 0; i < 64; i++) sock.write(chunk);
        sock.on('close', () => {
          sent = sock.bytesWritten;
          resolve();
        });
      }).then(async (s) => discard(await get(s.url)));
    });
    await closed;
    assert.ok(sent < total / 2, `the server sent ${sent} of ${total} bytes`);
  });

  test('a connection cut mid-body: the bytes before the cut are handed on, then a retryable network error', async () => {
    const s = await server(async (sock) => {
      await writeApart(sock, ['HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n', Buffer.alloc(300_017, 1)]);
      sock.destroy();
    });
    const res = await get(s.url);
    let got = 0;
    res.body.on('data', (c: Buffer) => (got += c.byteLength));
    const err = await new Promise<Error>((r) => res.body.on('error', r));
    assert.equal(got, 300_017);
    assert.equal(classify(err).kind, 'network');
  });

  test('the connection closed before any answer: a retryable network error', async () => {
    const s = await server((sock) => {
      sock.destroy();
    });
    const err = await get(s.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(classify(err).kind, 'network');
  });

  test('malformed answers are refused: status line, header line, conflicting lengths, an endless head, bad chunk size', async () => {
    const answers = [
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\nContent-Length: 0\n\n',
      'HTTP/1.1 200 OK\r\nbad header\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}`,
    ];
    for (const a of answers) {
      const s = await server((sock) => void sock.write(a));
      const err = await get(s.url).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal((err as { code?: string } | undefined)?.code, 'HPE_INVALID_RESPONSE', a.slice(0, 40));
    }
    const c = await server((sock) => void sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
    const res = await get(c.url);
    await assert.rejects(readAll(res.body), { code: 'HPE_INVALID_RESPONSE' });
  });

  test('a header value that would split the request is refused before anything is sent', async () => {
    let connections = 0;
    const s = await server(() => undefined);
    const srv = servers[servers.length - 1];
    srv?.on('connection', () => connections++);
    await assert.rejects(get(s.url, { headers: { authorization: 'Bearer x\r\nX-Injected: 1' } }), {
      code: 'ERR_INVALID_CHAR',
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(connections, 0);
  });

  test('an abort before the answer rejects with an abort; mid-body it fails the body; the socket is closed both times', async () => {
    let closed = 0;
    const s = await server((sock) => {
      sock.on('close', () => closed++);
      if (closed === 0 && !sock.destroyed) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc');
    });
    const ctl = new AbortController();
    const res = await get(s.url, { signal: ctl.signal });
    const failed = new Promise<Error>((r) => res.body.on('error', r));
    res.body.resume();
    ctl.abort(new Error('stop'));
    assert.equal(classify(await failed).kind, 'aborted');
    let silentClosed = false;
    const silent = await server((sock) => void sock.on('close', () => (silentClosed = true)));
    const ctl2 = new AbortController();
    const p = get(silent.url, { signal: ctl2.signal });
    await silent.request;
    ctl2.abort();
    assert.equal(
      classify(
        await p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ).kind,
      'aborted',
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, 1, 'the first server saw its connection close');
    assert.ok(silentClosed, 'the silent server saw its connection close');
  });

  test('a silent server times out (ETIMEDOUT, retryable)', async () => {
    const s = await server(() => undefined);
    const err = await get(s.url, { idleMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal((err as { code?: string }).code, 'ETIMEDOUT');
    assert.equal(classify(err).kind, 'network');
  });

  test('back-pressure: a body nobody reads stops the socket reading (the server cannot send it all)', async () => {
    const total = 64 * 1024 * 1024;
    let serverSock: Socket | undefined;
    const s = await server((sock) => {
      serverSock = sock;
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = Buffer.alloc(1 << 20, 7);
      for (let i = 0; i < 64; i++) sock.write(chunk);
    });
    const res = await get(s.url);
    res.body.pause();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(
      (serverSock?.writableLength ?? 0) > 16 * 1024 * 1024,
      `the server still holds most of the body (${serverSock?.writableLength})`,
    );
    assert.equal((await readAll(res.body)).byteLength, total);
  });

  test('over TLS: verified against the given CA, refused without it', async () => {
    const { key, cert, dir } = tempCert();
    try {
      const body = randomBytes(2 * 1024 * 1024 + 5);
      const s = await server(
        (sock) =>
          void sock.end(
            Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.byteLength}\r\n\r\n`), body]),
          ),
        { key, cert },
      );
      const res = await get(s.url, { tls: { rejectUnauthorized: true, ca: [cert] } });
      assert.equal(sha(await readAll(res.body)), sha(body));
      const untrusted = await get(s.url, { tls: { rejectUnauthorized: true } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(classify(untrusted).kind, 'tls');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HTTP/1.1 heads and chunked bodies', () => {
  test('framing: 204/304 none, chunked wins over Content-Length, Content-Length, else the close', () => {
    assert.deepEqual(framingOf(parseHead('HTTP/1.1 204 No Content\r\nContent-Length: 5')), { kind: 'none' });
    assert.deepEqual(framingOf(parseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5')), {
      kind: 'chunked',
    });
    assert.deepEqual(framingOf(parseHead('HTTP/1.1 200 OK\r\ncontent-length: 42')), { kind: 'length', length: 42 });
    assert.deepEqual(framingOf(parseHead('HTTP/1.0 200 OK')), { kind: 'close' });
    assert.equal(
      parseHead('HTTP/1.1 307 Temporary Redirect\r\nLocation:  https://s3/x  ').headers.location,
      'https://s3/x',
    );
  });

  test('the chunked decoder gives the same bytes however its input is split', () => {
    const wire = Buffer.from('4\r\nWiki\r\n7;a=b\r\npedia i\r\nB\r\nn \r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n');
    for (let cut = 0; cut <= wire.byteLength; cut++) {
      for (const step of [1, 3, 1000]) {
        const d = new ChunkedDecoder();
        const out: Buffer[] = [...d.feed(wire.subarray(0, cut))];
        for (let i = cut; i < wire.byteLength; i += step) out.push(...d.feed(wire.subarray(i, i + step)));
        assert.equal(Buffer.concat(out).toString(), 'Wikipedia in \r\nchunks.', `cut ${cut} step ${step}`);
        assert.ok(d.done);
      }
    }
    assert.throws(() => new ChunkedDecoder().feed(Buffer.from('3\r\nabcd\r\n')), { code: 'HPE_INVALID_RESPONSE' });
  });
});
