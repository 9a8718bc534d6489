import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, have, ok, scrydon, tempDir } from '../helpers/cli.js';
import { basic, htpasswdFile, http, startServe } from '../helpers/serve.js';
import { seedPack } from '../helpers/seed-store.js';

/**
 * `scrydon serve` in operation: Basic auth from an htpasswd file (bcrypt), a concurrent `scrydon load` (and an
 * rm + gc of the very blob) while a long download is paused mid-way, the warning for a non-loopback bind
 * without auth, a taken port, and graceful shutdown on SIGTERM and SIGINT.
 */

const skip =
  (!have('skopeo') || !have('htpasswd')) && 'skopeo and htpasswd are needed (scripts/test-setup installs them)';

function skopeo(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

function errorCode(body: Buffer): string {
  return (JSON.parse(body.toString('utf8')) as { errors: Array<{ code: string }> }).errors[0]?.code ?? '';
}

/** Starts a GET and hands back the response once its first bytes are in, paused (the server is held on backpressure). */
function startDownload(
  url: string,
): Promise<{ res: IncomingMessage; hash: ReturnType<typeof createHash>; received: () => number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let n = 0;
    const req = request(url, (res) => {
      res.once('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
        res.pause();
        res.on('data', (more: Buffer) => {
          hash.update(more);
          n += more.length;
        });
        resolve({ res, hash, received: () => n });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('scrydon serve: auth, concurrency, shutdown', { skip }, () => {
  let home: string;

  before(async () => {
    home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  });
  after(cleanupTemps);

  test('Basic auth: a wrong password or user is refused with 401 UNAUTHORIZED; the right one reads', async () => {
    const file = await htpasswdFile({ alice: 'correct horse', bob: 'battery staple' });
    const serve = await startServe(home, ['--htpasswd', file]);
    try {
      for (const headers of [
        {},
        basic('alice', 'wrong'),
        basic('carol', 'correct horse'),
        { authorization: 'Bearer abc' },
      ]) {
        const r = await http(`${serve.url}/v2/acme.fraud/manifests/1.2.0`, { headers });
        assert.equal(r.status, 401);
        assert.match(String(r.headers['www-authenticate']), /^Basic realm="scrydon"/);
        assert.equal(errorCode(r.body), 'UNAUTHORIZED');
      }
      assert.equal((await http(`${serve.url}/v2/`, { headers: basic('bob', 'battery staple') })).status, 200);
      assert.equal(
        (await http(`${serve.url}/v2/acme.fraud/manifests/1.2.0`, { headers: basic('alice', 'correct horse') })).status,
        200,
      );
      assert.equal((await http(`${serve.url}/api/packs`)).status, 401, 'the API is behind the same login');
      assert.equal((await http(`${serve.url}/`)).status, 401, 'and so is the page');
      assert.equal((await http(`${serve.url}/api/packs`, { headers: basic('alice', 'correct horse') })).status, 200);

      const out = join(await tempDir(), 'oci');
      const refused = skopeo(
        'copy',
        '-q',
        '--src-tls-verify=false',
        '--src-creds',
        'alice:wrong',
        `docker://${serve.host}/acme.fraud:1.2.0`,
        `oci:${out}:x`,
      );
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /unauthorized|401/i);
      const copied = skopeo(
        'copy',
        '-q',
        '--src-tls-verify=false',
        '--src-creds',
        'alice:correct horse',
        `docker://${serve.host}/acme.fraud:1.2.0`,
        `oci:${out}:x`,
      );
      assert.equal(copied.status, 0, copied.stderr);

      const other = await tempDir();
      const pullArgs = ['pull', `${serve.host}/acme.fraud:1.2.0`, '--plain-http', '-u', 'alice', '--password-stdin'];
      expectError(await scrydon(pullArgs, { home: other, input: 'wrong\n' }), 'auth_failed');
      await ok(pullArgs, { home: other, input: 'correct horse\n' });
    } finally {
      await serve.stop();
    }
  });

  test('an htpasswd file with a non-bcrypt entry is refused at start', async () => {
    const dir = await tempDir();
    const file = join(dir, 'htpasswd');
    await writeFile(file, 'alice:$apr1$abcdefgh$0123456789abcdefghijkl\n');
    expectError(await scrydon(['serve', '--addr', '127.0.0.1:0', '--htpasswd', file], { home }), 'htpasswd_invalid');
  });

  test('a concurrent scrydon load (and rm + gc of the blob itself) during a long download does not break it', async () => {
    const h = await tempDir();
    const big = await seedPack(join(h, 'catalog'), 'big.pack:1.0.0', join(h, 'work'), { layers: [48 * 1024 * 1024] });
    const layer = big.layers[0];
    assert.ok(layer);
    const other = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: other });
    const archive = join(other, 'core.tar');
    await ok(['save', 'acme.core:1.0.0', '-o', archive], { home: other });

    const serve = await startServe(h);
    try {
      const dl = await startDownload(`${serve.url}/v2/big.pack/blobs/${layer.digest}`);
      // while the download is held mid-way: other writers change index.json and blobs under the server
      await ok(['load', '-i', archive], { home: h });
      const tags = JSON.parse((await http(`${serve.url}/v2/acme.core/tags/list`)).body.toString('utf8')) as {
        tags: string[];
      };
      assert.deepEqual(tags.tags, ['1.0.0'], 'the loaded pack is served at once');
      const many = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          http(`${serve.url}/v2/${i % 2 ? 'acme.core/manifests/1.0.0' : 'big.pack/manifests/1.0.0'}`),
        ),
      );
      assert.deepEqual([...new Set(many.map((r) => r.status))], [200]);
      await ok(['rm', 'big.pack:1.0.0'], { home: h });
      await ok(['gc', '--grace', '0'], { home: h });
      await assert.rejects(
        stat(join(h, 'catalog', 'blobs', 'sha256', layer.digest.slice(7))),
        'gc deleted the blob file being read',
      );
      assert.equal(
        (await http(`${serve.url}/v2/big.pack/tags/list`)).status,
        404,
        'the repository is gone for new requests',
      );
      const done = new Promise<void>((resolve, reject) => {
        dl.res.on('end', resolve);
        dl.res.on('error', reject);
      });
      dl.res.resume();
      await done;
      assert.equal(dl.received(), layer.size);
      assert.equal(`sha256:${dl.hash.digest('hex')}`, layer.digest, 'every byte of the download is the blob');
    } finally {
      await serve.stop();
    }
  });

  test('many clients at once each get the whole blob', async () => {
    const h = await tempDir();
    const seeded = await seedPack(join(h, 'catalog'), 'mid.pack:1.0.0', join(h, 'work'), { layers: [4 * 1024 * 1024] });
    const layer = seeded.layers[0];
    assert.ok(layer);
    const serve = await startServe(h);
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, () => http(`${serve.url}/v2/mid.pack/blobs/${layer.digest}`)),
      );
      for (const r of results)
        assert.equal(`sha256:${createHash('sha256').update(r.body).digest('hex')}`, layer.digest);
    } finally {
      await serve.stop();
    }
  });

  test('binding beyond loopback without --htpasswd warns; a taken port is address_in_use', async () => {
    const wide = await startServe(home, ['--addr', '0.0.0.0:0']);
    const { stderr } = await wide.stop();
    assert.match(stderr, /warning: listening on 0\.0\.0\.0 without --htpasswd/);
    const local = await startServe(home);
    try {
      assert.doesNotMatch(local.stderr(), /warning/);
      expectError(await scrydon(['serve', '--addr', local.host], { home }), 'address_in_use');
    } finally {
      await local.stop();
    }
  });

  test('SIGTERM and SIGINT stop it gracefully: exit 0, a summary, a held download cut after the grace period', async () => {
    const serve = await startServe(home);
    assert.equal((await http(`${serve.url}/v2/`)).status, 200);
    const term = await serve.stop('SIGTERM');
    assert.equal(term.code, 0, term.stderr);
    assert.match(term.stdout, /stopped: served 1 request/);

    const h = await tempDir();
    const big = await seedPack(join(h, 'catalog'), 'big.pack:1.0.0', join(h, 'work'), { layers: [32 * 1024 * 1024] });
    const again = await startServe(h, ['--json']);
    const dl = await startDownload(`${again.url}/v2/big.pack/blobs/${big.layers[0]?.digest ?? ''}`);
    const ended = new Promise<string>((resolve) => {
      dl.res.on('error', () => resolve('error'));
      dl.res.on('aborted', () => resolve('aborted'));
      dl.res.on('end', () => resolve('end'));
    });
    const started = Date.now();
    const int = await again.stop('SIGINT');
    assert.equal(int.code, 0, int.stderr);
    assert.ok(Date.now() - started < 5000, 'stopped within the grace period');
    const summary = JSON.parse(int.stdout) as { requests: number; url: string };
    assert.equal(summary.url, again.url);
    dl.res.resume();
    assert.notEqual(await ended, 'end', 'a cut-off download never ends cleanly');
    assert.ok(dl.received() < (big.layers[0]?.size ?? 0));
  });
});
