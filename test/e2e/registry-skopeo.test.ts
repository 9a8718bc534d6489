import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import tar from 'tar-stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { LayoutDir } from '../../src/store/layout-dir.js';
import { cleanupTemps, FIXTURES, have, json, ok, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * Interoperability with skopeo through a real registry: an image skopeo pushed (OCI, and converted to Docker
 * schema 2) is pulled by scrydon with the same digest; a pack scrydon pushed is copied out by skopeo with the
 * same digest; an artifact laid out as `oras push` makes it (empty config, pack.json in the layer) is pulled and
 * inspected, remotely too.
 */

const skip = !have('skopeo') && 'skopeo is not installed (scripts/test-setup installs it)';
let registry: RunningRegistry;

function skopeo(...args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mtime: new Date(0), mode: 0o644 }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function put(dir: LayoutDir, d: Descriptor, bytes: Buffer): Promise<void> {
  await dir.push(d, Readable.from([bytes]));
}

/** A small real image in an OCI layout: an image config with rootfs diff_ids, one gzip layer. */
async function imageLayout(): Promise<{ path: string; digest: string }> {
  const path = join(await tempDir(), 'image');
  const dir = await LayoutDir.open(path);
  const layerTar = await tarOf({ 'hello.txt': 'hello from an image\n' });
  const layerGz = gzipSync(layerTar);
  const layer = descriptorOf('application/vnd.oci.image.layer.v1.tar+gzip', layerGz);
  const config = encodeJson({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
  });
  const configD = descriptorOf(MediaType.ociConfig, config);
  const manifest = encodeJson({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configD, layers: [layer] });
  const m = descriptorOf(MediaType.ociManifest, manifest);
  await put(dir, layer, layerGz);
  await put(dir, configD, config);
  await put(dir, m, manifest);
  await dir.tag(m, 'img');
  return { path, digest: m.digest };
}

/** A pack as `oras push FILE:TYPE --artifact-type TYPE` lays it out: the empty config, pack.json inside the layer. */
async function orasStyleLayout(): Promise<{ path: string; digest: string }> {
  const h = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: h });
  const built = JSON.parse(await readFile(join(h, 'catalog', 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string }>;
  };
  const packManifest = JSON.parse(
    await readFile(join(h, 'catalog', 'blobs', 'sha256', (built.manifests[0]?.digest ?? '').slice(7)), 'utf8'),
  ) as { layers: Descriptor[] };
  const packLayer = packManifest.layers[0] as Descriptor;
  const layerBytes = await readFile(join(h, 'catalog', 'blobs', 'sha256', packLayer.digest.slice(7)));
  const path = join(await tempDir(), 'oras');
  const dir = await LayoutDir.open(path);
  const empty = descriptorOf(MediaType.ociEmpty, EMPTY_JSON);
  const layer: Descriptor = {
    mediaType: MediaType.packLayer,
    digest: packLayer.digest,
    size: packLayer.size,
    annotations: { 'org.opencontainers.image.title': 'acme-fraud.tar.gz' },
  };
  const manifest = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.packArtifact,
    config: { ...empty, data: 'e30=' },
    layers: [layer],
    annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
  });
  const m = descriptorOf(MediaType.ociManifest, manifest);
  await put(dir, empty, EMPTY_JSON);
  await put(dir, layer, layerBytes);
  await put(dir, m, manifest);
  await dir.tag(m, 'fraud');
  return { path, digest: m.digest };
}

before(async () => {
  if (skip) return;
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('skopeo interop', { skip }, () => {
  test('an image skopeo pushed is pulled by scrydon, digest for digest', async () => {
    const img = await imageLayout();
    skopeo('copy', '--dest-tls-verify=false', `oci:${img.path}:img`, `docker://${registry.host}/skopeo/img:1`);
    const raw = Buffer.from(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/skopeo/img:1`));
    const r = await json<{ digest: string; mediaType: string }>(
      ['pull', `${registry.host}/skopeo/img:1`, '--plain-http'],
      { home: await tempDir() },
    );
    assert.equal(r.digest, sha256(raw));
    assert.equal(r.digest, img.digest);
  });

  test('a Docker schema 2 image (skopeo --format v2s2) is pulled as such', async () => {
    const img = await imageLayout();
    skopeo(
      'copy',
      '--dest-tls-verify=false',
      '--format',
      'v2s2',
      `oci:${img.path}:img`,
      `docker://${registry.host}/skopeo/docker:1`,
    );
    const raw = Buffer.from(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/skopeo/docker:1`),
    );
    const h = await tempDir();
    const r = await json<{ digest: string; mediaType: string }>(
      ['pull', `${registry.host}/skopeo/docker:1`, '--plain-http'],
      { home: h },
    );
    assert.equal(r.mediaType, MediaType.dockerManifest);
    assert.equal(r.digest, sha256(raw));
    // and back out through scrydon into another repository, unchanged
    const c = await json<{ digest: string }>(
      ['push', `${registry.host}/skopeo/docker:1`, `${registry.host}/skopeo/docker-again:1`, '--plain-http'],
      { home: h },
    );
    assert.equal(c.digest, r.digest);
  });

  test('a pack scrydon pushed is copied out by skopeo with the same digest', async () => {
    const h = await tempDir();
    const built = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: h });
    await ok(['push', 'acme.fraud:1.2.0', `${registry.host}/scrydon/fraud:1.2.0`, '--plain-http'], { home: h });
    const out = join(await tempDir(), 'out');
    skopeo('copy', '--src-tls-verify=false', `docker://${registry.host}/scrydon/fraud:1.2.0`, `oci:${out}:fraud`);
    const idx = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.equal(idx.manifests[0]?.digest, built.digest);
    const raw = Buffer.from(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/scrydon/fraud:1.2.0`),
    );
    assert.equal(sha256(raw), built.digest);
  });

  test('an artifact laid out like `oras push` is pulled and inspected (pack.json from the layer), remotely too', async () => {
    const oras = await orasStyleLayout();
    skopeo('copy', '--dest-tls-verify=false', `oci:${oras.path}:fraud`, `docker://${registry.host}/oras/fraud:1.2.0`);
    const h = await tempDir();
    const r = await json<{ digest: string }>(['pull', `${registry.host}/oras/fraud:1.2.0`, '--plain-http'], {
      home: h,
    });
    assert.equal(r.digest, oras.digest);
    const local = await json<{
      pack: { packJson: { package: { id: string } }; packJsonSource: string; files: unknown[] };
    }>(['inspect', `${registry.host}/oras/fraud:1.2.0`], { home: h });
    assert.equal(local.pack.packJson.package.id, 'acme.fraud');
    assert.equal(local.pack.packJsonSource, 'layer');
    const empty = await tempDir();
    const remote = await json<{ digest: string; pack: { packJsonSource: string } }>(
      ['inspect', `docker://${registry.host}/oras/fraud:1.2.0`, '--plain-http'],
      { home: empty },
    );
    assert.equal(remote.digest, oras.digest);
    assert.equal(remote.pack.packJsonSource, 'layer');
    const scrydonPack = await json<{ pack: { packJsonSource: string; files?: unknown[] } }>(
      ['inspect', '--remote', `${registry.host}/scrydon/fraud:1.2.0`, '--plain-http'],
      { home: empty },
    );
    assert.equal(scrydonPack.pack.packJsonSource, 'config');
    assert.equal(scrydonPack.pack.files, undefined, 'the layer was not downloaded');
    const stored = JSON.parse(
      await readFile(join(empty, 'catalog', 'index.json'), 'utf8').catch(() => '{"manifests":[]}'),
    ) as { manifests: unknown[] };
    assert.equal(stored.manifests.length, 0, 'a remote inspect stores nothing');
  });
});
