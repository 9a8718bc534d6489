import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LayoutPaths } from '../../src/store/layout.js';
import { readListView } from '../../src/store/list-cache.js';
import { after, before, describe, test } from 'node:test';

import {
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { addOciSourceArgs } from '../helpers/oci-catalog.js';
import { reconcileRuns as reconcile, siteHome as env, siteNode, skopeo, type SiteRun as Run } from '../helpers/site.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedSmallPacks } from '../helpers/small-pack.js';

/**
 * `scrydon publish REGISTRY/PREFIX` fills a site registry (Debian's docker-registry 2.8: no referrers API, so
 * signatures travel by the fallback tag scheme) from a store that loaded an archive and verified it there; nodes
 * add the generated catalog as an oci source and reconcile from it, concurrently, verifying themselves. Requests
 * are counted at a loopback proxy in front of the registry (its access log).
 */

const PACKS = [
  ['acme-core', 'acme.core', '1.0.0'],
  ['acme-fraud', 'acme.fraud', '1.2.0'],
  ['acme-payments-integration', 'acme.payments', '0.3.0'],
] as const;
let registry: RunningRegistry;
let proxy: RunningProxy;
let upstream: string;
let siteKeys: string;
let otherKeys: string;
let site: RunOptions & { home: string };
const digests = new Map<string, string>();
const NODES = 20;

interface Published {
  catalog: { reference: string; digest: string; unchanged: boolean };
  receipts?: { reference: string; digest: string };
  packs: Array<{
    id: string;
    version: string;
    digest: string;
    reference: string;
    signature: string;
    siteSigned: boolean;
  }>;
  unverified: string[];
  copied: number;
}
function node(publicKey: string): Promise<RunOptions & { home: string }> {
  return siteNode(`${proxy.host}/site/packs/catalog`, publicKey);
}

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy({ upstream: registry.host });
  upstream = await tempDir();
  siteKeys = await tempDir();
  otherKeys = await tempDir();
  const connected = await env();
  for (const k of [upstream, siteKeys, otherKeys]) await ok(['key', 'generate', '--dir', k], connected);
  // the connected side: build, sign with the upstream key, save
  for (const [dir, id, version] of PACKS) {
    const b = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], connected);
    digests.set(id, b.digest);
    await ok(['sign', `${id}:${version}`, '--key', join(upstream, 'cosign.key')], connected);
  }
  const archive = join(await tempDir(), 'airgap.tar');
  await ok(['save', '--all', '-o', archive], connected);
  // the site: load, verify against the upstream key (receipts), publish with the site's key
  site = await env();
  await ok(['load', '-i', archive], site);
  for (const [, id, version] of PACKS)
    await ok(['verify', `${id}:${version}`, '--key', join(upstream, 'cosign.pub')], site);
});

after(async () => {
  await proxy?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('publish', () => {
  let first: Published;

  test('packs at PREFIX/ID:VERSION with both signatures, a catalog naming each by digest, receipts beside it', async () => {
    first = await json<Published>(
      ['publish', `${proxy.host}/site/packs`, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key'), '--json'],
      site,
    );
    assert.deepEqual(
      first.packs.map((p) => [p.id, p.version, p.digest, p.signature, p.siteSigned]),
      PACKS.map(([, id, version]) => [id, version, digests.get(id), 'cosign-key', true]),
    );
    for (const p of first.packs) {
      assert.equal(p.reference, `${proxy.host}/site/packs/${p.id}:${p.version}@${p.digest}`);
      const raw = skopeo(
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/site/packs/${p.id}:${p.version}`,
      );
      assert.equal(JSON.parse(raw).config.mediaType.includes('scrydon'), true, 'the pack itself, not a copy');
      // the upstream signature and the site's both verify in the registry
      await ok(
        [
          'verify',
          `${proxy.host}/site/packs/${p.id}@${p.digest}`,
          '--remote',
          '--plain-http',
          '--key',
          join(upstream, 'cosign.pub'),
        ],
        site,
      );
      await ok(
        [
          'verify',
          `${proxy.host}/site/packs/${p.id}@${p.digest}`,
          '--remote',
          '--plain-http',
          '--key',
          join(siteKeys, 'cosign.pub'),
        ],
        site,
      );
    }
    // no internal store name reaches the registry
    const repos = (
      JSON.parse(await (await fetch(`http://${registry.host}/v2/_catalog`)).text()) as { repositories: string[] }
    ).repositories;
    assert.deepEqual(repos.filter((r) => r.startsWith('site/')).sort(), [
      'site/packs/acme.core',
      'site/packs/acme.fraud',
      'site/packs/acme.payments',
      'site/packs/catalog',
    ]);
    // the catalog names each pack by digest, and says the site key signs it
    const m = JSON.parse(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/site/packs/catalog:catalog`),
    ) as { layers: Array<{ digest: string }> };
    const yaml = await (
      await fetch(`http://${registry.host}/v2/site/packs/catalog/blobs/${m.layers[0]?.digest}`)
    ).text();
    const sitePub = (await readFile(join(siteKeys, 'cosign.pub'), 'utf8')).trim();
    for (const [, id] of PACKS) assert.ok(yaml.includes(`@${digests.get(id)}`), `${id} pinned by digest`);
    assert.ok(yaml.includes(sitePub.split('\n')[1] ?? 'x'), "the site key is the catalog's signer");
    assert.ok(!yaml.includes('scrydon.sources'));
    // receipts: which upstream signature the site verified before it signed
    assert.ok(first.receipts);
    const rm = JSON.parse(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/site/packs/catalog:catalog.receipts`),
    ) as { layers: Array<{ digest: string }> };
    const lines = (
      await (await fetch(`http://${registry.host}/v2/site/packs/catalog/blobs/${rm.layers[0]?.digest}`)).text()
    )
      .trim()
      .split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { digest: string }).digest).sort(),
      [...digests.values()].sort(),
    );
  });

  test('20 nodes trusting only the site key reconcile concurrently, install the same digests; a second tick is one request each', async () => {
    const nodes = await Promise.all(Array.from({ length: NODES }, () => node(join(siteKeys, 'cosign.pub'))));
    const runs = await Promise.all(nodes.map((n) => reconcile(n)));
    for (const r of runs)
      assert.deepEqual(r.flatMap((x) => x.packs.map((p) => `${p.id}=${p.outcome}`)).sort(), [
        'acme.core=installed',
        'acme.fraud=installed',
        'acme.payments=installed',
      ]);
    for (const n of nodes) {
      const { packs: installed } = await json<{ packs: Array<{ id: string; digest: string }> }>(
        ['installed', '--json'],
        n,
      );
      assert.deepEqual(installed.map((i) => [i.id, i.digest]).sort(), [...digests.entries()].sort());
    }
    proxy.reset();
    const again = await Promise.all(nodes.map((n) => reconcile(n)));
    for (const r of again) assert.equal(r[0]?.outcome, 'unchanged', JSON.stringify(r));
    assert.equal(proxy.requests.length, NODES, proxy.requests.map((q) => `${q.method} ${q.path}`).join('\n'));
    assert.equal(proxy.count('HEAD', /\/v2\/site\/packs\/catalog\/manifests\/catalog$/), NODES);
  });

  test('a node with another site key refuses every pack and installs nothing', async () => {
    const n = await node(join(otherKeys, 'cosign.pub'));
    const runs = await reconcile(n);
    for (const p of runs.flatMap((r) => r.packs)) assert.notEqual(p.outcome, 'installed');
    assert.deepEqual((await json<{ packs: unknown[] }>(['installed', '--json'], n)).packs, []);
  });

  test('publishing again uploads nothing and leaves the catalog unchanged', async () => {
    proxy.reset();
    const again = await json<Published>(
      ['publish', `${proxy.host}/site/packs`, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key'), '--json'],
      site,
    );
    assert.equal(again.catalog.digest, first.catalog.digest);
    assert.equal(again.catalog.unchanged, true);
    assert.equal(again.copied, 0);
    // a publish that went through leaves the store's ls view keyed to its index.json: a re-run reads no manifest
    const catalog = join(site.home, 'catalog');
    const view = await readListView(new LayoutPaths(catalog));
    const index = createHash('sha256')
      .update(await readFile(join(catalog, 'index.json')))
      .digest('hex');
    assert.equal(view.index, index, 'the ls view is of the index.json publish left');
    assert.deepEqual(
      again.packs.map((p) => p.siteSigned),
      [false, false, false],
      'the site signatures are reused',
    );
    assert.equal(proxy.count('POST', /\/blobs\/uploads\//), 0, 'no blob upload');
    assert.equal(proxy.count('PUT', /./), 0, proxy.requests.map((q) => `${q.method} ${q.path} ${q.status}`).join('\n'));
  });

  test('a blob replaced in the registry: a node refuses that pack and installs nothing of it', async () => {
    const fraud = first.packs.find((p) => p.id === 'acme.fraud');
    assert.ok(fraud);
    const manifest = JSON.parse(
      skopeo(
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/site/packs/acme.fraud@${fraud.digest}`,
      ),
    ) as { layers: Array<{ digest: string }> };
    const hex = manifest.layers[0]?.digest.slice(7) ?? '';
    const data = join(registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(data);
    const mid = bytes.length >> 1;
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    await writeFile(data, bytes);
    const n = await node(join(siteKeys, 'cosign.pub'));
    const runs = await reconcile(n);
    const outcomes = new Map(runs.flatMap((r) => r.packs.map((p) => [p.id, p] as const)));
    assert.equal(outcomes.get('acme.core')?.outcome, 'installed');
    assert.notEqual(outcomes.get('acme.fraud')?.outcome, 'installed');
    assert.match(outcomes.get('acme.fraud')?.code ?? '', /digest_mismatch|verify_failed|fetch_failed/);
    const { packs: installed } = await json<{ packs: Array<{ id: string }> }>(['installed', '--json'], n);
    assert.ok(!installed.some((i) => i.id === 'acme.fraud'));
    const blobs = await readdir(join(n.home, 'catalog', 'blobs', 'sha256'));
    assert.ok(!blobs.includes(hex), "the damaged blob never entered the node's store");
  });

  test('a pack the site did not verify: --sign-key refuses, signs nothing and publishes nothing', async () => {
    const s = await env();
    for (const [dir] of PACKS.slice(0, 2)) await ok(['build', join(FIXTURES, 'packs', dir)], s);
    // acme.core is signed upstream and verified here; acme.fraud never was
    await ok(['sign', 'acme.core:1.0.0', '--key', join(upstream, 'cosign.key')], s);
    await ok(['verify', 'acme.core:1.0.0', '--key', join(upstream, 'cosign.pub')], s);
    const before = await treeHash(join(s.home, 'catalog'));
    proxy.reset();
    const r = await scrydon(
      ['publish', `${proxy.host}/site/unverified`, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key')],
      s,
    );
    expectError(r, 'verify_failed');
    assert.match(r.stderr, /acme\.fraud 1\.2\.0 .*no verification receipt/);
    assert.equal(proxy.requests.length, 0, 'nothing reached the registry');
    assert.equal(
      await treeHash(join(s.home, 'catalog')),
      before,
      'the store is unchanged: acme.core was not site-signed',
    );
  });

  test('a prefix with a tag is refused', async () => {
    expectError(await scrydon(['publish', `${proxy.host}/site/packs:v1`, '--plain-http'], site), 'invalid_reference');
  });
});

describe('publish of many packs', () => {
  test('24 packs: 16 tag checks at once on a re-run, and no warning on stderr (MaxListenersExceededWarning)', async () => {
    const home = await env();
    await seedSmallPacks(join(home.home, 'catalog'), join(home.home, 'work'), 0, 24);
    const prefix = `${registry.host}/many/packs`;
    const first = await ok(['publish', prefix, '--plain-http'], home);
    const again = await ok(['publish', prefix, '--plain-http', '--json'], home);
    for (const r of [first, again]) assert.doesNotMatch(r.stderr, /Warning|memory leak/, r.stderr);
    const j = JSON.parse(again.stdout) as { packs: unknown[]; copied: number; skipped: number };
    assert.equal(j.packs.length, 24);
    assert.equal(j.copied, 0, 'nothing uploaded again');
  });
});

describe('push --all mounts across repositories', () => {
  test('one pack under 7 names: repositories filled after the first 4 mount its blobs, each serves them', async () => {
    const home = await env();
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], home);
    const names = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
    for (const n of names) await ok(['tag', 'acme.core:1.0.0', `${n}/core:1.0.0`], home);
    const pushed = JSON.parse(
      (await ok(['push', '--all', `${registry.host}/mounts`, '--plain-http', '--json'], home)).stdout,
    ) as { copied: number; mounted: number; entries: unknown[] };
    assert.equal(pushed.entries.length, 8);
    // 4 repositories at once: the later ones start after one of the first finished, so their config and layer mount
    assert.ok(pushed.mounted >= 2 * (8 - 4), `mounted ${pushed.mounted}`);
    const m = JSON.parse(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/mounts/m7/core:1.0.0`),
    ) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const d of [m.config.digest, ...m.layers.map((l) => l.digest)]) {
      const r = await fetch(`http://${registry.host}/v2/mounts/m7/core/blobs/${d}`, { method: 'HEAD' });
      assert.equal(r.status, 200, `${d} in mounts/m7/core`);
    }
  });
});

describe('publish to a registry with htpasswd auth', () => {
  test('the site publishes with its credential; a node reconciles with its own; no secret is printed', async () => {
    const PASSWORD = 'site-pw-never-print-me-9';
    const priv = await startRegistry({ kind: 'htpasswd', users: { site: PASSWORD } });
    try {
      const prefix = `${priv.host}/site/packs`;
      const refused = await scrydon(['publish', prefix, '--plain-http'], site);
      expectError(refused, 'auth_failed');
      const pub = await ok(
        [
          'publish',
          prefix,
          '--plain-http',
          '--sign-key',
          join(siteKeys, 'cosign.key'),
          '--username',
          'site',
          '--password-stdin',
        ],
        { ...site, input: PASSWORD },
      );
      const n = await env();
      await ok(addOciSourceArgs('site', `${prefix}/catalog`, join(siteKeys, 'cosign.pub'), '--credential-stdin'), {
        ...n,
        input: `site:${PASSWORD}`,
      });
      const r = await scrydon(['reconcile', '--json'], n);
      assert.equal(r.code, 0, r.stderr);
      const runs = JSON.parse(r.stdout) as Run[];
      assert.deepEqual(runs.flatMap((x) => x.packs.map((p) => `${p.id}=${p.outcome}`)).sort(), [
        'acme.core=installed',
        'acme.fraud=installed',
        'acme.payments=installed',
      ]);
      for (const text of [pub.stdout, pub.stderr, refused.stderr, r.stdout, r.stderr])
        assert.ok(!text.includes(PASSWORD));
    } finally {
      await priv.stop();
    }
  });
});
