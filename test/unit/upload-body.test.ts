/**
 * A store blob streamed into a PUT (transport/http.ts sendChunks → FileRangeBody.copyTo) against a real socket
 * whose server answers early and hangs up mid-body, as a registry refusing an upload does: the request ends with
 * the answer or a network error, the file is closed, and no write failure escapes as an unhandled rejection
 * (that crashed a push whose other blob the registry refused).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileRangeBody } from '../../src/content/file-range-body.js';
import { HttpTransport } from '../../src/registry/transport/http.js';
import { classify } from '../../src/registry/transport/net-errors.js';
import type { Digest } from '../../src/oci/digest.js';

test('an upload the server refuses and hangs up on mid-body: an answer or a network error, never a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scrydon-upload-'));
  const bytes = randomBytes(24 * 1024 * 1024);
  const file = join(dir, 'blob');
  writeFileSync(file, bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
  const server = createServer((s) => {
    s.on('error', () => undefined);
    let n = 0;
    let answered = false;
    s.on('data', (d: Buffer) => {
      n += d.byteLength;
      if (n < 3 * 1024 * 1024 || answered) return;
      answered = true;
      s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
      setTimeout(() => s.destroy(), 5);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const transport = new HttpTransport({ settingsFor: () => ({ plainHttp: true, insecure: false }) });
  try {
    for (let i = 0; i < 10; i++) {
      const fh = await open(file);
      const body = new FileRangeBody(
        { mediaType: 'application/octet-stream', digest, size: bytes.byteLength },
        'blob',
        fh,
        0,
        true,
        false,
      );
      const url = new URL(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/x/blobs/uploads/1?digest=${digest}`,
      );
      const outcome = await transport
        .send({ method: 'PUT', url, headers: { 'content-length': String(bytes.byteLength) }, body, what: 'pushing' })
        .then(
          (res) => {
            res.body.resume();
            return res.status;
          },
          (e: unknown) => classify(e).kind,
        );
      assert.ok(outcome === 400 || outcome === 'network', `round ${i}: ${String(outcome)}`);
      await new Promise((r) => setTimeout(r, 30)); // the body's last writes fail after the answer
    }
  } finally {
    await transport.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
