import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startReferrersFront } from '../helpers/referrers-front.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedReferrer } from '../helpers/seed-store.js';

/**
 * Referrers are probed, not assumed. The real registry (distribution 2.8) has no referrers API (404); a proxy in
 * front of it plays the quirks seen in the wild: a false 200 on /referrers, a fallback tag that resolves to the
 * subject itself (GitLab, GHCR, ECR), OCI-Subject sent without the API (ECR), and a working API (canned, and
 * test/helpers/referrers-front.ts, which serves it from what the registry stores).
 */

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let registry: RunningRegistry;
let home: string;
let packDigest: string;
let packBytes: Buffer;
let sigDigest: string;
let sigSize: number;
const proxies: RunningProxy[] = [];

async function proxy(o: Omit<Parameters<typeof startProxy>[0], 'upstream'>): Promise<RunningProxy> {
  const p = await startProxy({ upstream: registry.host, ...o });
  proxies.push(p);
  return p;
}

async function fallbackStatus(repo: string): Promise<number> {
  const r = await fetch(`http://${registry.host}/v2/${repo}/manifests/sha256-${packDigest.slice(7)}`, {
    headers: { accept: INDEX },
  });
  await r.arrayBuffer();
  return r.status;
}

interface PullJson {
  digest: string;
  referrers: number;
  copied: number;
}

before(async () => {
  registry = await startRegistry();
  home = await tempDir();
  packDigest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home })).digest;
  packBytes = await readFile(join(home, 'catalog', 'blobs', 'sha256', packDigest.slice(7)));
  const sig = await seedReferrer(join(home, 'catalog'), {
    mediaType: MANIFEST,
    digest: packDigest as `sha256:${string}`,
    size: packBytes.byteLength,
  });
  sigDigest = sig.digest;
  sigSize = sig.size;
  await ok(['push', 'acme.fraud:1.2.0', `${registry.host}/acme/fraud:1`, '--plain-http'], { home });
});

after(async () => {
  for (const p of proxies) await p.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('reading referrers', () => {
  test('a false 200 on /referrers (not an OCI index) falls back to the tag schema', async () => {
    const p = await proxy({
      respond: (req) =>
        req.url?.includes('/referrers/')
          ? { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>welcome</html>' }
          : undefined,
    });
    const r = await json<PullJson>(['pull', `${p.host}/acme/fraud:1`, '--plain-http'], { home: await tempDir() });
    assert.equal(r.referrers, 1);
    assert.ok(p.count('GET', /\/manifests\/sha256-/) >= 1, 'the fallback tag was read');
  });

  test("a fallback tag that resolves to the subject itself means no referrers (not the subject's children)", async () => {
    const p = await proxy({
      respond: (req) =>
        req.url?.endsWith(`/manifests/sha256-${packDigest.slice(7)}`)
          ? { status: 200, headers: { 'content-type': MANIFEST, 'docker-content-digest': packDigest }, body: packBytes }
          : undefined,
    });
    const h = await tempDir();
    const r = await json<PullJson>(['pull', `${p.host}/acme/fraud:1`, '--plain-http'], { home: h });
    assert.equal(r.digest, packDigest);
    assert.equal(r.referrers, 0);
    const idx = JSON.parse(await readFile(join(h, 'catalog', 'index.json'), 'utf8')) as {
      manifests: Array<{ annotations?: Record<string, string> }>;
    };
    assert.equal(idx.manifests.filter((m) => m.annotations?.['io.scrydon.subject']).length, 0);
  });

  test('a registry with the referrers API is asked through it, and its answer is used', async () => {
    const listing = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [
        {
          mediaType: MANIFEST,
          digest: sigDigest,
          size: sigSize,
          artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        },
      ],
    });
    const p = await proxy({
      respond: (req) =>
        req.url?.includes(`/referrers/${packDigest}`)
          ? { status: 200, headers: { 'content-type': INDEX }, body: listing }
          : undefined,
    });
    const r = await json<PullJson>(['pull', `${p.host}/acme/fraud:1`, '--plain-http'], { home: await tempDir() });
    assert.equal(r.referrers, 1);
    assert.equal(p.count('GET', /\/manifests\/sha256-/), 0, 'the tag schema was not consulted');
    const viaApi = await json<PullJson>(['pull', `${p.host}/acme/fraud:1`, '--plain-http', '--referrers', 'api'], {
      home: await tempDir(),
    });
    assert.equal(viaApi.referrers, 1);
  });

  test('--referrers tag never asks the API', async () => {
    const p = await proxy({});
    await ok(['pull', `${p.host}/acme/fraud:1`, '--plain-http', '--referrers', 'tag'], { home: await tempDir() });
    assert.equal(p.count('GET', /\/referrers\//), 0);
  });
});

describe('writing referrers', () => {
  test('auto, without the API: the fallback index is written', async () => {
    const p = await proxy({});
    await ok(['push', 'acme.fraud:1.2.0', `${p.host}/w/plain:1`, '--plain-http'], { home });
    assert.equal(await fallbackStatus('w/plain'), 200);
  });

  test('OCI-Subject sent without a referrers API (ECR): the fallback index is still written', async () => {
    const p = await proxy({
      addHeaders: (req) =>
        req.method === 'PUT' && req.url?.includes('/manifests/sha256:') ? { 'oci-subject': packDigest } : undefined,
    });
    await ok(['push', 'acme.fraud:1.2.0', `${p.host}/w/ecr:1`, '--plain-http'], { home });
    assert.equal(await fallbackStatus('w/ecr'), 200);
  });

  test('OCI-Subject and a working API (test/helpers/referrers-front.ts): no fallback tag; the API lists the signature', async () => {
    const p = await startReferrersFront(registry);
    proxies.push(p);
    await ok(['push', 'acme.fraud:1.2.0', `${p.host}/w/api:1`, '--plain-http'], { home });
    assert.equal(await fallbackStatus('w/api'), 404);
    assert.deepEqual(p.subjects, [{ digest: sigDigest, subject: packDigest }]);
    const r = await json<PullJson>(['pull', `${p.host}/w/api:1`, '--plain-http'], { home: await tempDir() });
    assert.equal(r.referrers, 1);
    assert.deepEqual(
      p.served.filter((s) => s.subject === packDigest).map((s) => s.digests),
      [[sigDigest], [sigDigest]],
      'asked once by the push (is the API there?), once by the pull',
    );
  });

  test('--referrers api never writes the fallback; --referrers tag always does', async () => {
    const p = await proxy({});
    await ok(['push', 'acme.fraud:1.2.0', `${p.host}/w/apionly:1`, '--plain-http', '--referrers', 'api'], { home });
    assert.equal(await fallbackStatus('w/apionly'), 404);
    const q = await proxy({
      respond: (req) =>
        req.url?.includes('/referrers/')
          ? {
              status: 200,
              headers: { 'content-type': INDEX },
              body: JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] }),
            }
          : undefined,
    });
    await ok(['push', 'acme.fraud:1.2.0', `${q.host}/w/tagonly:1`, '--plain-http', '--referrers', 'tag'], { home });
    assert.equal(await fallbackStatus('w/tagonly'), 200);
    assert.equal(q.count('GET', /\/referrers\//), 0);
  });

  test('two signatures on one subject both land in its fallback index', async () => {
    const h = await tempDir();
    await ok(['copy', `oci:${join(home, 'catalog')}:acme.fraud:1.2.0`, 'store:acme.fraud:1.2.0'], { home: h });
    await seedReferrer(
      join(h, 'catalog'),
      { mediaType: MANIFEST, digest: packDigest as `sha256:${string}`, size: packBytes.byteLength },
      'second',
    );
    const r = await json<{ referrers: number }>(
      ['push', 'acme.fraud:1.2.0', `${registry.host}/w/two:1`, '--plain-http'],
      { home: h },
    );
    assert.equal(r.referrers, 2);
    const res = await fetch(`http://${registry.host}/v2/w/two/manifests/sha256-${packDigest.slice(7)}`, {
      headers: { accept: INDEX },
    });
    const idx = (await res.json()) as { manifests: unknown[] };
    assert.equal(idx.manifests.length, 2);
    expectError(
      await scrydon(['pull', `${registry.host}/w/two:1`, '--plain-http', '--referrers', 'bogus'], { home: h }),
      'usage',
      2,
    );
  });
});
