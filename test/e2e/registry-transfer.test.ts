import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedPack, seedReferrer } from '../helpers/seed-store.js';

/**
 * pull, push and copy against a real CNCF distribution registry (Debian's docker-registry 2.8, no auth) on
 * 127.0.0.1, with a recording proxy in front to count what went over the wire. Distribution 2.8 has no
 * referrers API, so signatures travel through the referrers tag schema (sha256-<hex>).
 */

interface TransferJson {
  digest: string;
  copied: number;
  skipped: number;
  mounted: number;
  bytes: number;
  referrers: number;
  tag?: string;
  target?: string;
}

interface IndexJson {
  manifests: Array<{ digest: string; mediaType: string; annotations?: Record<string, string> }>;
}

let registry: RunningRegistry;
let proxy: RunningProxy;
let home: string;
let reg: string;
let packDigest: string;
let sigDigest: string;

async function index(h: string): Promise<IndexJson> {
  return JSON.parse(await readFile(join(h, 'catalog', 'index.json'), 'utf8')) as IndexJson;
}

async function registryGet(
  path: string,
  accept = 'application/vnd.oci.image.index.v1+json',
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${registry.host}${path}`, { headers: { accept } });
  return { status: res.status, body: await res.text() };
}

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy({ upstream: registry.host });
  reg = proxy.host;
  home = await tempDir();
  const built = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  packDigest = built.digest;
  const store = await json<Array<{ ref: string; digest: string; mediaType?: string; size?: number }>>(['ls'], { home });
  const entry = store.find((e) => e.digest === packDigest);
  assert.ok(entry, 'the built pack is listed');
  const sig = await seedReferrer(join(home, 'catalog'), {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: packDigest as `sha256:${string}`,
    size: (await readFile(join(home, 'catalog', 'blobs', 'sha256', packDigest.slice(7)))).byteLength,
  });
  sigDigest = sig.digest;
});

after(async () => {
  await proxy?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('push', () => {
  test('pushes a pack and its signature; the fallback index names the signature', async () => {
    proxy.reset();
    const r = await json<TransferJson>(['push', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`, '--plain-http'], {
      home,
    });
    assert.equal(r.digest, packDigest);
    assert.equal(r.referrers, 1);
    const puts = proxy.requests.filter((q) => q.method === 'PUT').map((q) => q.path);
    const at = (digest: string): number => puts.findIndex((p) => p.endsWith(`/manifests/${digest}`));
    assert.ok(
      at(packDigest) >= 0 && at(sigDigest) > at(packDigest),
      `the signature goes up after what it signs: ${puts.join(', ')}`,
    );
    assert.ok(r.copied >= 4, `manifest, config, layer, signature manifest… copied (${r.copied})`);
    const m = await registryGet('/v2/acme/fraud/manifests/1.2.0', 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m.status, 200);
    const fallback = await registryGet(`/v2/acme/fraud/manifests/sha256-${packDigest.slice(7)}`);
    assert.equal(fallback.status, 200, 'distribution 2.8 has no referrers API: the tag schema index was written');
    const idx = JSON.parse(fallback.body) as IndexJson & { mediaType: string };
    assert.equal(idx.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      idx.manifests.map((d) => d.digest),
      [sigDigest],
    );
  });

  test('pushing again sends no blob: each is found by HEAD', async () => {
    proxy.reset();
    const r = await json<TransferJson>(['push', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`, '--plain-http'], {
      home,
    });
    assert.equal(r.copied, 0);
    assert.equal(proxy.count('PUT', /\/blobs\/uploads\//), 0);
    assert.equal(proxy.count('PATCH', /./), 0);
    assert.equal(proxy.count('POST', /./), 0);
  });

  test('a plain-HTTP registry not named --plain-http is refused (TLS is the default)', async () => {
    expectError(await scrydon(['push', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`], { home }), 'tls_error');
  });

  test('a store tag with no registry needs a target', async () => {
    expectError(await scrydon(['push', 'acme.fraud:1.2.0', '--plain-http'], { home }), 'usage', 2);
  });
});

describe('pull', () => {
  let home2: string;
  before(async () => {
    home2 = await tempDir();
  });

  test('pulls into the store under the remote name, signature included', async () => {
    const r = await json<TransferJson>(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http'], { home: home2 });
    assert.equal(r.digest, packDigest);
    assert.equal(r.tag, `${reg}/acme/fraud:1.2.0`);
    assert.equal(r.referrers, 1);
    const idx = await index(home2);
    assert.ok(
      idx.manifests.some(
        (m) =>
          m.annotations?.['org.opencontainers.image.ref.name'] === `${reg}/acme/fraud:1.2.0` && m.digest === packDigest,
      ),
    );
    assert.ok(
      idx.manifests.some((m) => m.digest === sigDigest && m.annotations?.['io.scrydon.subject'] === packDigest),
      'the signature is kept as a referrer',
    );
    const ls = await json<Array<{ ref: string }>>(['ls'], { home: home2 });
    assert.ok(ls.some((e) => e.ref === `${reg}/acme/fraud:1.2.0`));
  });

  test('pulling what the store has costs one manifest request and no blob transfer', async () => {
    proxy.reset();
    const before = await treeHash(join(home2, 'catalog', 'blobs'));
    const r = await json<TransferJson>(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http'], { home: home2 });
    assert.equal(r.copied, 0);
    assert.equal(proxy.count('GET', /\/blobs\//), 0, 'no blob was fetched');
    const manifestRequests = proxy.requests.filter((q) => /\/manifests\/1\.2\.0$/.test(q.path));
    assert.equal(manifestRequests.length, 1, `one manifest request (${JSON.stringify(proxy.requests)})`);
    assert.equal(await treeHash(join(home2, 'catalog', 'blobs')), before);
  });

  test('pulls by digest; kept as REPO@sha256:<hex> (never a sha256-<hex> tag), addressable by that name', async () => {
    const h = await tempDir();
    const r = await json<TransferJson>(['pull', `${reg}/acme/fraud@${packDigest}`, '--plain-http'], { home: h });
    assert.equal(r.digest, packDigest);
    assert.equal(r.tag, `${reg}/acme/fraud@${packDigest}`);
    const ls = await json<Array<{ ref: string }>>(['ls'], { home: h });
    assert.deepEqual(
      ls.map((e) => e.ref),
      [`${reg}/acme/fraud@${packDigest}`],
    );
    await ok(['inspect', `${reg}/acme/fraud@${packDigest}`], { home: h });
    await ok(['rm', `${reg}/acme/fraud@${packDigest}`], { home: h });
    assert.deepEqual(await json<unknown[]>(['ls'], { home: h }), []);
  });

  test('a missing tag is not_found and leaves the store unchanged', async () => {
    const before = await treeHash(home2);
    expectError(await scrydon(['pull', `${reg}/acme/fraud:9.9.9`, '--plain-http'], { home: home2 }), 'not_found');
    assert.equal(await treeHash(home2), before);
  });

  test('--referrers api fails clearly on a registry without the API; tag reads the tag schema', async () => {
    const h = await tempDir();
    expectError(
      await scrydon(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--referrers', 'api'], { home: h }),
      'referrers_unsupported',
    );
    const r = await json<TransferJson>(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--referrers', 'tag'], {
      home: h,
    });
    assert.equal(r.referrers, 1);
  });
});

describe('large blobs and concurrency', () => {
  test('a 12 MiB layer streams up in one PUT (no PATCH) and down verified; --concurrency 1 works', async () => {
    const h = await tempDir();
    const work = await tempDir();
    const seeded = await seedPack(join(h, 'catalog'), 'big.pack:1', work, { layers: [12 * 1024 * 1024, 1000] });
    proxy.reset();
    const up = await json<TransferJson>(
      ['push', 'big.pack:1', `${reg}/big/pack:1`, '--plain-http', '--concurrency', '1'],
      { home: h },
    );
    assert.equal(up.digest, seeded.manifest.digest);
    assert.equal(proxy.count('PATCH', /./), 0, 'no chunked upload');
    assert.equal(
      proxy.count('PUT', /\/blobs\/uploads\/.*digest=sha256/),
      3,
      'config, layers: one PUT each, with the digest',
    );
    // nothing follows this root (no signature): it goes up once, with its tag, last (as oras and crane push)
    assert.deepEqual(
      proxy.requests.filter((q) => q.method === 'PUT' && q.path.includes('/manifests/')).map((q) => q.path),
      ['/v2/big/pack/manifests/1'],
    );
    assert.equal(
      proxy.requests[proxy.requests.length - 1]?.path,
      '/v2/big/pack/manifests/1',
      'the tag is the last request',
    );
    const h2 = await tempDir();
    const down = await json<TransferJson>(['pull', `${reg}/big/pack:1`, '--plain-http'], { home: h2 });
    assert.equal(down.bytes, seeded.manifest.size + seeded.config.size + 12 * 1024 * 1024 + 1000);
    const blob = await readFile(join(h2, 'catalog', 'blobs', 'sha256', (seeded.layers[0]?.digest ?? '').slice(7)));
    assert.equal(blob.byteLength, 12 * 1024 * 1024);
  });
});

describe('copy', () => {
  test('registry → registry in one registry mounts the blobs instead of sending them', async () => {
    proxy.reset();
    const h = await tempDir();
    const r = await json<TransferJson>(
      ['copy', `${reg}/acme/fraud:1.2.0`, `${reg}/mirror/fraud:1.2.0`, '--plain-http'],
      { home: h },
    );
    assert.equal(r.digest, packDigest);
    assert.ok(r.mounted >= 2, `config and layer mounted (${r.mounted})`);
    assert.equal(proxy.count('GET', /\/acme\/fraud\/blobs\//), 0, 'no blob bytes were read');
    assert.equal(r.referrers, 1, 'the signature came along');
    assert.equal((await registryGet(`/v2/mirror/fraud/manifests/sha256-${packDigest.slice(7)}`)).status, 200);
  });

  test('registry → OCI layout → store → OCI layout keep the digest', async () => {
    const h = await tempDir();
    const out = join(await tempDir(), 'layout');
    const a = await json<TransferJson>(['copy', `${reg}/acme/fraud:1.2.0`, `oci:${out}:fraud`, '--plain-http'], {
      home: h,
    });
    assert.equal(a.digest, packDigest);
    const layoutIndex = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as IndexJson;
    assert.ok(layoutIndex.manifests.some((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'fraud'));
    const b = await json<TransferJson>(['copy', `oci:${out}:fraud`, 'store:acme.fraud:copied'], { home: h });
    assert.equal(b.digest, packDigest);
    const c = await json<TransferJson>(['copy', 'acme.fraud:copied', `${reg}/copied/fraud:1`, '--plain-http'], {
      home: h,
    });
    assert.equal(c.digest, packDigest);
    expectError(await scrydon(['copy', `oci:${out}:nope`, 'store:x:1'], { home: h }), 'not_found');
  });
});

describe('push --all', () => {
  test('pushes every store tag under a prefix, signatures included', async () => {
    const h = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: h });
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: h });
    const r = await json<{ entries: Array<{ source: string; target: string; digest: string }> }>(
      ['push', '--all', `${reg}/all`, '--plain-http'],
      { home: h },
    );
    assert.equal(r.entries.length, 2);
    for (const e of r.entries) {
      assert.ok(e.target.startsWith(`${reg}/all/`));
      const path = e.target.slice(reg.length).replace(/:([^:/]+)$/, '/manifests/$1');
      const m = await registryGet(`/v2${path.replace(/^\/v2/, '')}`, 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(m.status, 200, `${e.target} is in the registry`);
    }
  });
});
