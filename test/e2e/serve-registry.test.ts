import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { cleanupTemps, FIXTURES, have, json, ok, tempDir } from '../helpers/cli.js';
import {
  http,
  seedImage,
  seedSbomReferrer,
  selfSignedCert,
  sha256,
  startServe,
  type RunningServe,
} from '../helpers/serve.js';

/**
 * `scrydon serve` as a registry, driven by real clients: skopeo copies a pack, an image and a registry-named
 * pack out of it (plain HTTP and TLS); the spec's error bodies for missing manifests and blobs (GET and HEAD),
 * pushes refused with UNSUPPORTED, Range, tags/list and _catalog pagination, and the referrers API.
 */

const skip = !have('skopeo') && 'skopeo is not installed (scripts/test-setup installs it)';

function skopeo(...args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface OciErrors {
  errors: Array<{ code: string; message: string }>;
}

function errorCode(body: Buffer): string {
  const parsed = JSON.parse(body.toString('utf8')) as OciErrors;
  assert.ok(Array.isArray(parsed.errors) && parsed.errors.length === 1, body.toString('utf8'));
  assert.equal(typeof parsed.errors[0]?.message, 'string');
  return parsed.errors[0]?.code ?? '';
}

async function layoutDigest(dir: string, tag: string): Promise<string> {
  const idx = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const hit = idx.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  assert.ok(hit, `tag ${tag} in ${dir}`);
  return hit.digest;
}

describe('scrydon serve: the store as an OCI registry', { skip }, () => {
  let home: string;
  let serve: RunningServe;
  let pack: { digest: string };
  let image: { manifest: Descriptor; layer: Descriptor };

  before(async () => {
    home = await tempDir();
    pack = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    await ok(['tag', 'acme.fraud:1.2.0', 'ghcr.io/acme/fraud:1.2.0'], { home });
    await ok(['tag', 'acme.fraud:1.2.0', 'registry.local:5000/mirror/fraud:1.2.0'], { home });
    image = await seedImage(join(home, 'catalog'), 'acme/tools:1.0');
    serve = await startServe(home);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  test('skopeo copies a pack and an image out of it, digests unchanged', async () => {
    const out = join(await tempDir(), 'oci');
    skopeo('copy', '-q', '--src-tls-verify=false', `docker://${serve.host}/acme.fraud:1.2.0`, `oci:${out}:pack`);
    skopeo('copy', '-q', '--src-tls-verify=false', `docker://${serve.host}/acme/tools:1.0`, `oci:${out}:image`);
    skopeo(
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${serve.host}/ghcr.io/acme/fraud:1.2.0`,
      `oci:${out}:ghcr`,
    );
    skopeo(
      'copy',
      '-q',
      '--src-tls-verify=false',
      `docker://${serve.host}/registry.local_5000/mirror/fraud:1.2.0`,
      `oci:${out}:mirror`,
    );
    assert.equal(await layoutDigest(out, 'pack'), pack.digest);
    assert.equal(await layoutDigest(out, 'image'), image.manifest.digest);
    assert.equal(await layoutDigest(out, 'ghcr'), pack.digest);
    assert.equal(await layoutDigest(out, 'mirror'), pack.digest);
    const layer = await readFile(join(out, 'blobs', 'sha256', image.layer.digest.slice(7)));
    assert.equal(sha256(layer), image.layer.digest);
    // an image is an image to skopeo: inspect (not --raw) reads its config
    const info = JSON.parse(skopeo('inspect', '--tls-verify=false', `docker://${serve.host}/acme/tools:1.0`)) as {
      Digest: string;
      Architecture: string;
    };
    assert.equal(info.Digest, image.manifest.digest);
    assert.equal(info.Architecture, 'amd64');
    const tags = JSON.parse(skopeo('list-tags', '--tls-verify=false', `docker://${serve.host}/acme.fraud`)) as {
      Tags: string[];
    };
    assert.deepEqual(tags.Tags, ['1.2.0']);
  });

  test('skopeo copies over TLS with --src-tls-verify=false', async () => {
    const tls = await selfSignedCert();
    const secure = await startServe(home, ['--tls-cert', tls.cert, '--tls-key', tls.key]);
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const out = join(await tempDir(), 'oci');
      skopeo('copy', '-q', '--src-tls-verify=false', `docker://${secure.host}/acme.fraud:1.2.0`, `oci:${out}:pack`);
      assert.equal(await layoutDigest(out, 'pack'), pack.digest);
      const r = await http(`${secure.url}/v2/`);
      assert.equal(r.status, 200);
    } finally {
      await secure.stop();
    }
  });

  test("GET and HEAD on missing manifests and blobs give the spec's errors", async () => {
    const missing = `sha256:${'0'.repeat(64)}`;
    const cases: Array<[string, number, string]> = [
      [`/v2/acme.fraud/manifests/9.9.9`, 404, 'MANIFEST_UNKNOWN'],
      [`/v2/acme.fraud/manifests/${missing}`, 404, 'MANIFEST_UNKNOWN'],
      [`/v2/acme.fraud/manifests/${image.layer.digest}`, 404, 'MANIFEST_UNKNOWN'], // a blob, not a manifest
      [`/v2/acme.fraud/blobs/${missing}`, 404, 'BLOB_UNKNOWN'],
      [`/v2/acme.fraud/blobs/sha256:xyz`, 400, 'DIGEST_INVALID'],
      [`/v2/nobody/here/manifests/1.0`, 404, 'NAME_UNKNOWN'],
      [`/v2/nobody/here/blobs/${missing}`, 404, 'NAME_UNKNOWN'],
      [`/v2/Bad_Name/tags/list`, 400, 'NAME_INVALID'],
      [`/v2/acme.fraud/blobs/uploads/`, 404, 'BLOB_UPLOAD_UNKNOWN'],
    ];
    for (const [path, status, code] of cases) {
      const get = await http(`${serve.url}${path}`);
      assert.equal(get.status, status, `GET ${path}`);
      assert.equal(get.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(get.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal(errorCode(get.body), code, `GET ${path}`);
      const head = await http(`${serve.url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, status, `HEAD ${path}`);
      assert.equal(head.body.length, 0, `HEAD ${path} has no body`);
    }
  });

  test('manifests by tag and digest, HEAD included, carry type, digest and length', async () => {
    for (const ref of ['1.2.0', pack.digest]) {
      const get = await http(`${serve.url}/v2/acme.fraud/manifests/${ref}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      assert.equal(get.status, 200);
      assert.equal(get.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(get.headers['docker-content-digest'], pack.digest);
      assert.equal(sha256(get.body), pack.digest);
      const head = await http(`${serve.url}/v2/acme.fraud/manifests/${ref}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(get.body.length));
      assert.equal(head.body.length, 0);
    }
  });

  test('pushes are refused with 405 UNSUPPORTED; skopeo cannot push', async () => {
    for (const [method, path] of [
      ['POST', '/v2/acme.fraud/blobs/uploads/'],
      ['PUT', '/v2/acme.fraud/manifests/2.0.0'],
      ['PATCH', '/v2/acme.fraud/blobs/uploads/abc'],
      ['DELETE', `/v2/acme.fraud/manifests/${pack.digest}`],
    ] as const) {
      const r = await http(`${serve.url}${path}`, { method, body: '{}' });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(errorCode(r.body), 'UNSUPPORTED');
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    const src = join(await tempDir(), 'oci');
    skopeo('copy', '-q', '--src-tls-verify=false', `docker://${serve.host}/acme/tools:1.0`, `oci:${src}:x`);
    const r = spawnSync(
      'skopeo',
      ['copy', '-q', '--dest-tls-verify=false', `oci:${src}:x`, `docker://${serve.host}/acme/pushed:1`],
      { encoding: 'utf8' },
    );
    assert.notEqual(r.status, 0);
    assert.ok((await http(`${serve.url}/v2/acme/pushed/tags/list`)).status === 404);
  });

  test('blobs honour a single Range: 206 with Content-Range, 416 when unsatisfiable', async () => {
    const url = `${serve.url}/v2/acme/tools/blobs/${image.layer.digest}`;
    const whole = await http(url);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.equal(sha256(whole.body), image.layer.digest);
    const size = whole.body.length;
    const part = await http(url, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${size}`);
    assert.deepEqual(part.body, whole.body.subarray(10, 20));
    const tail = await http(url, { headers: { range: 'bytes=-5' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, whole.body.subarray(size - 5));
    const open = await http(url, { headers: { range: `bytes=${size - 3}-` } });
    assert.deepEqual(open.body, whole.body.subarray(size - 3));
    const bad = await http(url, { headers: { range: `bytes=${size}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${size}`);
    const head = await http(url, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(size));
    assert.equal(head.headers['docker-content-digest'], image.layer.digest);
  });

  test('tags/list and _catalog paginate with n, last and a Link header', async () => {
    for (const t of ['1.0.1', '1.0.2', '1.0.3', '1.0.4'])
      await ok(['tag', 'acme.fraud:1.2.0', `acme.fraud:${t}`], { home });
    const seen: string[] = [];
    let next: string | undefined = '/v2/acme.fraud/tags/list?n=2';
    let pages = 0;
    while (next) {
      const r = await http(`${serve.url}${next}`);
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body.toString('utf8')) as { name: string; tags: string[] };
      assert.equal(body.name, 'acme.fraud');
      assert.ok(body.tags.length <= 2);
      seen.push(...body.tags);
      next = /^<([^>]+)>;\s*rel="next"$/.exec(String(r.headers.link ?? ''))?.[1];
      pages++;
    }
    assert.deepEqual(seen, ['1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.2.0']);
    assert.equal(pages, 3);
    const after = JSON.parse((await http(`${serve.url}/v2/acme.fraud/tags/list?last=1.0.3`)).body.toString('utf8')) as {
      tags: string[];
    };
    assert.deepEqual(after.tags, ['1.0.4', '1.2.0']);
    const all = JSON.parse((await http(`${serve.url}/v2/_catalog`)).body.toString('utf8')) as {
      repositories: string[];
    };
    assert.deepEqual(all.repositories, [
      'acme.fraud',
      'acme/tools',
      'ghcr.io/acme/fraud',
      'registry.local_5000/mirror/fraud',
    ]);
    const first = await http(`${serve.url}/v2/_catalog?n=1`);
    assert.deepEqual((JSON.parse(first.body.toString('utf8')) as { repositories: string[] }).repositories, [
      'acme.fraud',
    ]);
    assert.equal(first.headers.link, '</v2/_catalog?n=1&last=acme.fraud>; rel="next"');
    assert.equal((await http(`${serve.url}/v2/_catalog?n=-1`)).status, 400);
  });

  test('the referrers API lists manifests whose subject is the digest, filtered by artifactType', async () => {
    const subject: Descriptor = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: pack.digest as Descriptor['digest'],
      size: 0,
    };
    subject.size = (await http(`${serve.url}/v2/acme.fraud/manifests/${pack.digest}`)).body.length;
    const sbom = await seedSbomReferrer(join(home, 'catalog'), subject, 'application/vnd.example.sbom+json', {
      'org.example.kind': 'sbom',
    });
    const r = await http(`${serve.url}/v2/acme.fraud/referrers/${pack.digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
    const index = JSON.parse(r.body.toString('utf8')) as { schemaVersion: number; manifests: Descriptor[] };
    assert.equal(index.schemaVersion, 2);
    const hit = index.manifests.find((m) => m.digest === sbom.digest);
    assert.ok(hit, 'the referrer is listed');
    assert.equal(hit.artifactType, 'application/vnd.example.sbom+json');
    assert.deepEqual(hit.annotations, { 'org.example.kind': 'sbom' });
    const filtered = await http(
      `${serve.url}/v2/acme.fraud/referrers/${pack.digest}?artifactType=application/vnd.other`,
    );
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual((JSON.parse(filtered.body.toString('utf8')) as { manifests: unknown[] }).manifests, []);
    const none = await http(`${serve.url}/v2/acme.fraud/referrers/sha256:${'1'.repeat(64)}`);
    assert.equal(none.status, 200);
    assert.deepEqual((JSON.parse(none.body.toString('utf8')) as { manifests: unknown[] }).manifests, []);
    // skopeo fetches the referrer by digest like any manifest
    const raw = skopeo('inspect', '--raw', '--tls-verify=false', `docker://${serve.host}/acme.fraud@${sbom.digest}`);
    assert.equal(sha256(Buffer.from(raw)), sbom.digest);
  });
});
