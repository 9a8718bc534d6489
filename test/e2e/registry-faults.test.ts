import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { chmod, cp, open, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedPack, type Seeded } from '../helpers/seed-store.js';

/**
 * What goes wrong between scrydon and a registry: the registry killed mid-pull, a connection cut mid-blob
 * (resumed with Range), a proxy corrupting bytes, 503/429 with Retry-After, redirects to blob storage on
 * another origin (the Authorization header stays behind), an upload Location pointing elsewhere, and TLS.
 * After every failure the store is byte-for-byte what it was.
 */

const BIG = 24 * 1024 * 1024;

let registry: RunningRegistry;
let src: string;
let seeded: Seeded;
const closers: Array<() => Promise<void>> = [];

async function proxy(o: Omit<Parameters<typeof startProxy>[0], 'upstream'>): Promise<RunningProxy> {
  const p = await startProxy({ upstream: registry.host, ...o });
  closers.push(() => p.close());
  return p;
}

/** A home that already holds one pack, so "unchanged" compares a real store. */
async function populatedHome(): Promise<string> {
  const h = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: h });
  return h;
}

async function ingestEmpty(h: string): Promise<void> {
  const left = await readdir(join(h, 'catalog', 'ingest')).catch(() => []);
  assert.deepEqual(
    left.filter((n) => !n.endsWith('.lock')),
    [],
    'no partial blob or staging dir is left',
  );
}

const bigLayer = (): string => (seeded.layers[0]?.digest ?? '').slice(7);

before(async () => {
  registry = await startRegistry();
  src = await tempDir();
  seeded = await seedPack(join(src, 'catalog'), 'fault.pack:1', await tempDir(), { layers: [BIG] });
  await ok(['push', 'fault.pack:1', `${registry.host}/fault/pack:1`, '--plain-http'], { home: src });
});

after(async () => {
  for (const c of closers) await c();
  await registry?.stop();
  await cleanupTemps();
});

describe('connections', () => {
  test('the registry killed mid-pull: network_error naming it, nothing stored; a rerun completes', async () => {
    const p = await proxy({
      cutAfter: 4 * 1024 * 1024,
      cutWhen: (req) => req.url?.includes(bigLayer()) ?? false,
      onCut: () => registry.stop(true),
    });
    const h = await populatedHome();
    const before = await treeHash(h);
    const r = expectError(
      await scrydon(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h }),
      'network_error',
    );
    assert.match(r.stderr, new RegExp(p.host.replace(/\./g, '\\.')));
    assert.equal(await treeHash(h), before, 'the store is unchanged');
    await ingestEmpty(h);
    await registry.restart();
    const again = await json<{ digest: string }>(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h });
    assert.equal(again.digest, seeded.manifest.digest);
    assert.equal((await stat(join(h, 'catalog', 'blobs', 'sha256', bigLayer()))).size, BIG);
  });

  test('a connection cut mid-blob is resumed with Range, and the blob verifies', async () => {
    const p = await proxy({ cutAfter: 3 * 1024 * 1024 + 17, cutWhen: (req) => req.url?.includes(bigLayer()) ?? false });
    const h = await tempDir();
    const r = await json<{ digest: string }>(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h });
    assert.equal(r.digest, seeded.manifest.digest);
    const gets = p.requests.filter((q) => q.method === 'GET' && q.path.includes(bigLayer()));
    assert.equal(gets.length, 2);
    assert.equal(gets[1]?.range, `bytes=${3 * 1024 * 1024 + 17}-`);
    await ingestEmpty(h);
  });

  test('503 with Retry-After is retried; a registry that keeps failing is fetch_failed', async () => {
    let fails = 1;
    const p = await proxy({
      respond: (req) =>
        req.method === 'HEAD' && req.url?.endsWith('/manifests/1') && fails-- > 0
          ? { status: 503, headers: { 'retry-after': '1' } }
          : undefined,
    });
    await ok(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: await tempDir() });
    assert.equal(p.count('HEAD', /\/manifests\/1$/), 2);
    const q = await proxy({
      respond: (req) =>
        req.url?.includes('/blobs/') && req.method === 'GET'
          ? {
              status: 500,
              body: '{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}',
              headers: { 'content-type': 'application/json' },
            }
          : undefined,
    });
    const h = await populatedHome();
    const before = await treeHash(h);
    const r = expectError(
      await scrydon(['pull', `${q.host}/fault/pack:1`, '--plain-http'], { home: h }),
      'fetch_failed',
    );
    assert.match(r.stderr, /disk on fire/);
    assert.equal(await treeHash(h), before);
  });
});

describe('corruption', () => {
  test('a proxy corrupting a blob: digest_mismatch, the store unchanged', async () => {
    const p = await proxy({ corrupt: (req) => req.method === 'GET' && (req.url?.includes(bigLayer()) ?? false) });
    const h = await populatedHome();
    const before = await treeHash(h);
    expectError(await scrydon(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h }), 'digest_mismatch');
    assert.equal(await treeHash(h), before);
    await ingestEmpty(h);
  });

  test(
    'one blob fails while another is still in flight: that transfer is stopped, not waited for',
    { timeout: 60_000 },
    async () => {
      // the layer's GET is never answered (the idle timeout is 120 s): only an abort from scrydon ends it; the
      // corrupted config is sent only once that GET is in flight (on a loaded machine it could otherwise fail first)
      let layerAsked: () => void = () => undefined;
      const inFlight = new Promise<void>((resolve) => (layerAsked = resolve));
      let closed: () => void = () => undefined;
      const abandoned = new Promise<boolean>((resolve) => (closed = () => resolve(true)));
      const p = await proxy({
        corrupt: (req) => req.method === 'GET' && (req.url?.includes(seeded.config.digest) ?? false),
        respond: (req) => {
          if (req.method !== 'GET') return undefined;
          if (req.url?.includes(seeded.config.digest)) return inFlight.then(() => undefined);
          if (!req.url?.includes(bigLayer())) return undefined;
          layerAsked();
          return new Promise<undefined>((resolve) => req.once('close', () => (closed(), resolve(undefined))));
        },
      });
      const h = await populatedHome();
      const before = await treeHash(h);
      expectError(await scrydon(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h }), 'digest_mismatch');
      // the close reaches this process as an event of its own, maybe after the child's exit: wait for it a little
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref());
      assert.ok(await Promise.race([abandoned, timeout]), 'the pending layer request was closed by scrydon');
      assert.equal(await treeHash(h), before);
      await ingestEmpty(h);
    },
  );

  test('registry → registry through a corrupting proxy: the destination registry refuses the bytes, nothing is tagged', async () => {
    // the copy only counts bytes on the way to a registry (it hashes every upload itself); this checks that trust
    const p = await proxy({ corrupt: (req) => req.method === 'GET' && (req.url?.includes(bigLayer()) ?? false) });
    const dst = await startRegistry();
    closers.push(() => dst.stop());
    const r = expectError(
      await scrydon(['copy', `${p.host}/fault/pack:1`, `${dst.host}/fault/copy:1`, '--plain-http'], {
        home: await tempDir(),
      }),
      'digest_mismatch',
    );
    assert.match(r.stderr, new RegExp(dst.host.replace(/\./g, '\\.')), 'the error names the registry that refused');
    const head = await fetch(`http://${dst.host}/v2/fault/copy/manifests/1`, { method: 'HEAD' });
    assert.equal(head.status, 404, 'nothing tagged');
    const blob = await fetch(`http://${dst.host}/v2/fault/copy/blobs/sha256:${bigLayer()}`, { method: 'HEAD' });
    assert.equal(blob.status, 404, 'the corrupted layer was not committed');
  });

  test('a proxy corrupting a manifest: digest_mismatch, the store unchanged', async () => {
    const p = await proxy({
      corrupt: (req) => req.method === 'GET' && (req.url?.includes('/manifests/sha256:') ?? false),
    });
    const h = await populatedHome();
    const before = await treeHash(h);
    expectError(await scrydon(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h }), 'digest_mismatch');
    assert.equal(await treeHash(h), before);
  });

  test('a registry lying in Docker-Content-Digest: digest_mismatch', async () => {
    const p = await proxy({
      addHeaders: (req) =>
        req.method === 'GET' && req.url?.includes('/manifests/')
          ? { 'docker-content-digest': `sha256:${'0'.repeat(64)}` }
          : undefined,
    });
    expectError(
      await scrydon(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: await tempDir() }),
      'digest_mismatch',
    );
  });
});

describe('pushing a damaged store', () => {
  /** A copy of the source store whose big layer is damaged by `damage` (the store's blobs are read-only). */
  async function damagedCopy(damage: (blob: string) => Promise<void>): Promise<string> {
    const h = await tempDir();
    await cp(src, h, { recursive: true });
    const blob = join(h, 'catalog', 'blobs', 'sha256', bigLayer());
    await chmod(blob, 0o644);
    await damage(blob);
    return h;
  }

  test('a flipped byte: the registry refuses the upload (it checks the digest; scrydon does not hash twice), nothing is tagged', async () => {
    const h = await damagedCopy(async (blob) => {
      const fh = await open(blob, 'r+');
      await fh.write(Buffer.from([0xff]), 0, 1, 1234);
      await fh.close();
    });
    const r = expectError(
      await scrydon(['push', 'fault.pack:1', `${registry.host}/fault/damaged:1`, '--plain-http'], { home: h }),
      'digest_mismatch',
    );
    assert.match(r.stderr, /DIGEST_INVALID/);
    assert.match(r.stderr, /scrydon check/);
    const head = await fetch(`http://${registry.host}/v2/fault/damaged/manifests/1`, { method: 'HEAD' });
    assert.equal(head.status, 404, 'the tag was not pushed');
  });

  test('a flipped byte in a small blob (sent in one PUT): the registry refuses it too', async () => {
    const h = await tempDir();
    await cp(src, h, { recursive: true });
    const config = join(h, 'catalog', 'blobs', 'sha256', seeded.config.digest.slice(7));
    await chmod(config, 0o644);
    const fh = await open(config, 'r+');
    const first = Buffer.alloc(1);
    await fh.read(first, 0, 1, 0);
    await fh.write(Buffer.from([(first[0] ?? 0) ^ 0x20]), 0, 1, 0);
    await fh.close();
    expectError(
      await scrydon(['push', 'fault.pack:1', `${registry.host}/fault/smallbad:1`, '--plain-http'], { home: h }),
      'digest_mismatch',
    );
    assert.equal(
      (await fetch(`http://${registry.host}/v2/fault/smallbad/manifests/1`, { method: 'HEAD' })).status,
      404,
    );
  });

  test('what lands locally is still hashed here: save and copy to oci: refuse the flipped byte, writing nothing', async () => {
    const h = await damagedCopy(async (blob) => {
      const fh = await open(blob, 'r+');
      await fh.write(Buffer.from([0xff]), 0, 1, 4321);
      await fh.close();
    });
    const out = join(await tempDir(), 'damaged.tar');
    expectError(await scrydon(['save', 'fault.pack:1', '-o', out], { home: h }), 'digest_mismatch');
    await assert.rejects(stat(out));
    const layout = join(await tempDir(), 'layout');
    expectError(await scrydon(['copy', 'store:fault.pack:1', `oci:${layout}:x`], { home: h }), 'digest_mismatch');
    const left = await readdir(join(layout, 'blobs', 'sha256')).catch(() => [] as string[]);
    assert.ok(!left.includes(bigLayer()), 'the damaged blob is not in the layout');
  });

  test('a truncated blob: size_mismatch before the upload is closed, nothing is tagged', async () => {
    const h = await damagedCopy((blob) => truncate(blob, BIG - 100));
    expectError(
      await scrydon(['push', 'fault.pack:1', `${registry.host}/fault/short:1`, '--plain-http'], { home: h }),
      'size_mismatch',
    );
    const head = await fetch(`http://${registry.host}/v2/fault/short/manifests/1`, { method: 'HEAD' });
    assert.equal(head.status, 404);
  });
});

describe('redirects and upload locations', () => {
  test('a blob redirected to storage on another origin is fetched there without the Authorization header', async () => {
    const seen: Array<{ authorized: boolean }> = [];
    const storage: Server = createServer((req, res) => {
      seen.push({ authorized: req.headers.authorization !== undefined });
      const file = join(src, 'catalog', 'blobs', 'sha256', bigLayer());
      res.writeHead(200, { 'content-length': String(BIG), 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => storage.close(() => r())));
    const addr = storage.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const p = await proxy({
      respond: (req) =>
        req.method === 'GET' && req.url?.includes(bigLayer())
          ? { status: 307, headers: { location: `http://127.0.0.1:${port}/bucket/${bigLayer()}?sig=abc` } }
          : undefined,
    });
    const h = await tempDir();
    // a bearer-looking credential is sent to the registry; it must not reach the storage host
    const r = await json<{ digest: string }>(['pull', `${p.host}/fault/pack:1`, '--plain-http'], { home: h });
    assert.equal(r.digest, seeded.manifest.digest);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.authorized, false);
  });

  test('an upload Location on another origin is refused', async () => {
    const p = await proxy({
      respond: (req) =>
        req.method === 'POST' && req.url?.includes('/blobs/uploads/')
          ? { status: 202, headers: { location: 'http://127.0.0.1:9/steal' } }
          : undefined,
    });
    const r = expectError(
      await scrydon(['push', 'fault.pack:1', `${p.host}/elsewhere/pack:1`, '--plain-http'], { home: src }),
      'registry_error',
    );
    assert.match(r.stderr, /another origin/);
  });
});

describe('TLS', () => {
  test('a self-signed registry: tls_error by default; --ca-file or --insecure reach it', async () => {
    const tls = await startRegistry({ kind: 'none' }, { tls: true });
    closers.push(() => tls.stop());
    const e = expectError(
      await scrydon(['push', 'fault.pack:1', `${tls.host}/tls/pack:1`], { home: src }),
      'tls_error',
    );
    assert.match(e.stderr, /--ca-file/);
    await ok(['push', 'fault.pack:1', `${tls.host}/tls/pack:1`, '--ca-file', tls.certFile ?? ''], { home: src });
    await ok(['pull', `${tls.host}/tls/pack:1`, '--insecure'], { home: await tempDir() });
    const cfgHome = await tempDir();
    await writeFile(
      join(cfgHome, 'registries.yaml'),
      `registries:\n  "${tls.host}":\n    caFile: ${tls.certFile ?? ''}\n`,
    );
    await ok(['pull', `${tls.host}/tls/pack:1`], { home: cfgHome });
    expectError(
      await scrydon(['pull', `${tls.host}/tls/pack:1`, '--plain-http'], { home: await tempDir() }),
      'tls_error',
    );
  });
});
