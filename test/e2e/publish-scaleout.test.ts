import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanupTemps, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { startBalancer, type RunningBalancer } from '../helpers/nginx-balancer.js';
import { addOciSourceArgs } from '../helpers/oci-catalog.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { freePort, startRegistry, TEST_REGISTRY_NAME, type RunningRegistry } from '../helpers/registry.js';
import { startS3, type RunningS3 } from '../helpers/s3-server.js';

/**
 * The scaled-out site of catalog-spec/publish.md ("Tested configurations"), for real: two distribution replicas
 * (Debian's docker-registry 2.8) sharing one S3 bucket (s3rver on loopback), behind nginx balancing round robin.
 * The site's registry has one name, `registry.scrydon.test:PORT`, which the catalog's references carry; what it
 * resolves to is each machine's business (DNS, here a forward proxy per machine): the balancer (127.0.0.1), or a
 * replica itself (127.0.0.2, 127.0.0.3), all on one port. Replica A sits behind a cutting proxy on the balancer's
 * side only, so a test can SIGKILL it while it is sending a node a blob.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const PACKS = [
  ['acme-core', 'acme.core', '1.0.0'],
  ['acme-fraud', 'acme.fraud', '1.2.0'],
  ['acme-payments-integration', 'acme.payments', '0.3.0'],
] as const;
const INSTALLED = PACKS.map(([, id]) => `${id}=installed`).sort();
let s3: RunningS3;
let replicaA: RunningRegistry;
let replicaB: RunningRegistry;
/** Between the balancer and replica A: cuts a blob mid-body once armed, and kills A there. */
let wireA: RunningProxy;
let armed = false;
let balancer: RunningBalancer;
/** Per-machine name resolution of the site's registry name. */
let viaBalancer: ForwardProxy;
let viaA: ForwardProxy;
let viaB: ForwardProxy;
let site: RunOptions & { home: string };
let siteName: string;
let upstream: string;
let siteKeys: string;
const digests = new Map<string, string>();

interface Run {
  outcome: string;
  packs: Array<{ id: string; version: string; outcome: string; code?: string }>;
}

/** A machine of the site, its resolver `resolver` (no proxy variables from outside). */
async function machine(resolver: ForwardProxy): Promise<RunOptions & { home: string }> {
  return {
    home: await tempDir(),
    env: {
      SCRYDON_CREDENTIAL_STORE: 'file',
      HOME: await tempDir(),
      ...PW,
      HTTP_PROXY: resolver.url,
      http_proxy: resolver.url,
      HTTPS_PROXY: '',
      https_proxy: '',
      NO_PROXY: '',
      no_proxy: '',
    },
  };
}

async function node(resolver: ForwardProxy): Promise<RunOptions & { home: string }> {
  const n = await machine(resolver);
  await ok(addOciSourceArgs('site', `${siteName}/site/packs/catalog`, join(siteKeys, 'cosign.pub')), n);
  return n;
}

async function reconcile(o: RunOptions): Promise<Run[]> {
  const r = await scrydon(['reconcile', '--json'], o);
  if (r.code !== 0 && r.code !== 1) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run[];
}

const outcomes = (runs: Run[]): string[] => runs.flatMap((r) => r.packs.map((p) => `${p.id}=${p.outcome}`)).sort();

async function installedDigests(o: RunOptions): Promise<Array<[string, string]>> {
  const { packs } = await json<{ packs: Array<{ id: string; digest: string }> }>(['installed', '--json'], o);
  return packs.map((p): [string, string] => [p.id, p.digest]).sort();
}

function skopeoDigest(ref: string): string {
  const r = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo inspect ${ref}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  s3 = await startS3();
  const port = await freePort();
  const storage = { s3: { endpoint: s3.endpoint, bucket: s3.bucket }, port };
  [replicaA, replicaB] = await Promise.all([
    startRegistry({ kind: 'none' }, { ...storage, address: '127.0.0.2' }),
    startRegistry({ kind: 'none' }, { ...storage, address: '127.0.0.3' }),
  ]);
  wireA = await startProxy({
    upstream: replicaA.host,
    cutAfter: 64,
    cutWhen: (req) => armed && req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? ''),
    onCut: async () => {
      await replicaA.stop(true);
      await wireA.close(); // A's address refuses connections from now on, as a dead host's does
    },
  });
  balancer = await startBalancer(`127.0.0.1:${port}`, [wireA.host, replicaB.host]);
  siteName = `${TEST_REGISTRY_NAME}:${port}`;
  const resolver = (ip: string): Promise<ForwardProxy> => startForwardProxy({ hosts: { [TEST_REGISTRY_NAME]: ip } });
  [viaBalancer, viaA, viaB] = await Promise.all([resolver('127.0.0.1'), resolver('127.0.0.2'), resolver('127.0.0.3')]);
  // the site: build, sign upstream, verify (receipts), then publish with the site's key
  site = await machine(viaBalancer);
  upstream = await tempDir();
  siteKeys = await tempDir();
  for (const k of [upstream, siteKeys]) await ok(['key', 'generate', '--dir', k], site);
  for (const [dir, id, version] of PACKS) {
    const b = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], site);
    digests.set(id, b.digest);
    await ok(['sign', `${id}:${version}`, '--key', join(upstream, 'cosign.key')], site);
    await ok(['verify', `${id}:${version}`, '--key', join(upstream, 'cosign.pub')], site);
  }
});

after(async () => {
  await Promise.all([viaBalancer?.close(), viaA?.close(), viaB?.close()]);
  await balancer?.stop();
  await wireA?.close().catch(() => undefined);
  await Promise.all([replicaA?.stop(), replicaB?.stop()]);
  await s3?.stop();
  await cleanupTemps();
});

describe('publish to replicas on one S3 bucket behind nginx', () => {
  test('publish through the balancer: uploads cross replicas, each replica serves every pack; a re-run uploads nothing', async () => {
    const publish = ['publish', `${siteName}/site/packs`, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key')];
    const first = await json<{ packs: Array<{ id: string; digest: string }> }>([...publish, '--json'], site);
    assert.deepEqual(
      first.packs.map((p) => [p.id, p.digest]),
      PACKS.map(([, id]) => [id, digests.get(id)]),
    );
    const log = await balancer.requests();
    const used = new Set(log.flatMap((r) => r.upstreams));
    assert.deepEqual([...used].sort(), [wireA.host, replicaB.host].sort(), 'round robin used both replicas');
    assert.ok(
      log.some((r) => r.method === 'PUT' && /\/blobs\/uploads\//.test(r.path) && r.status === 201),
      'blob uploads completed',
    );
    assert.ok(
      log.every((r) => r.status < 500),
      log.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n'),
    );
    for (const [, id, version] of PACKS)
      for (const replica of [replicaA, replicaB]) {
        const m = JSON.parse(skopeoDigest(`${replica.host}/site/packs/${id}:${version}`)) as { artifactType?: string };
        assert.equal(m.artifactType, 'application/vnd.scrydon.pack.v1.tar.gzip', `${id} on ${replica.host}`);
      }
    const before = log.length;
    await ok(publish, site);
    const again = (await balancer.requests()).slice(before);
    const seen = again.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n');
    assert.equal(again.filter((r) => r.method === 'POST').length, 0, `no blob upload:\n${seen}`);
    assert.equal(again.filter((r) => r.method === 'PUT').length, 0, 'no manifest written');
  });

  test('nodes reconcile through the balancer and straight from each replica, and install the same digests', async () => {
    const nodes = await Promise.all([node(viaBalancer), node(viaA), node(viaB)]);
    const before = (await balancer.requests()).length;
    const direct = await Promise.all(nodes.slice(1).map((n) => reconcile(n)));
    for (const r of direct) assert.deepEqual(outcomes(r), INSTALLED);
    assert.equal((await balancer.requests()).length, before, 'the direct nodes never went through the balancer');
    assert.ok(viaA.forwarded.length > 0 && viaB.forwarded.length > 0);
    const [balanced] = nodes;
    assert.ok(balanced);
    assert.deepEqual(outcomes(await reconcile(balanced)), INSTALLED);
    for (const n of nodes) assert.deepEqual(await installedDigests(n), [...digests.entries()].sort());
  });

  test('replica A SIGKILLed while it sends a node a blob: the reconcile resumes from replica B, and a rerun goes to B', async () => {
    const n = await node(viaBalancer);
    const before = (await balancer.requests()).length;
    armed = true;
    const first = await reconcile(n);
    assert.equal(replicaA.process.signalCode, 'SIGKILL', 'replica A was killed mid-reconcile');
    assert.deepEqual(outcomes(first), INSTALLED, JSON.stringify(first));
    const during = (await balancer.requests()).slice(before);
    // the blob cut short by the kill was resumed (Range) from the surviving replica
    assert.ok(
      during.some((r) => r.status === 206 && r.upstreams.at(-1) === replicaB.host),
      during.map((r) => `${r.method} ${r.path} ${r.status} ${r.upstreams.join(',')}`).join('\n'),
    );
    const rerun = await reconcile(n);
    assert.equal(rerun[0]?.outcome, 'unchanged', JSON.stringify(rerun));
    const rerunLog = (await balancer.requests()).slice(before + during.length);
    assert.deepEqual(
      rerunLog.map((r) => [r.method, r.path, r.status, r.upstreams.at(-1)]),
      [['HEAD', '/v2/site/packs/catalog/manifests/catalog', 200, replicaB.host]],
    );
    assert.deepEqual(await installedDigests(n), [...digests.entries()].sort());
  });
});
