import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import { samplePack, storeArtifact, storeSamplePack, type StoredPack } from '../helpers/make-pack.js';

interface Inspected {
  digest: string;
  mediaType: string;
  artifactType?: string;
  size: number;
  config: { mediaType: string; size: number };
  layers: Array<{ mediaType: string; size: number; annotations?: Record<string, string> }>;
  annotations: Record<string, string>;
  pack: null | {
    packJson: { package: { id: string; version: string }; installOrder: string[] };
    packJsonSource: 'config' | 'layer';
    files: Array<{ path: string; size: number; mode: number }>;
    unpackedSize: number;
  };
  referrers: Array<{ digest: string; artifactType?: string }>;
}

const SIG_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

describe('scrydon inspect', () => {
  let home: string;
  let scry: StoredPack;
  let oras: StoredPack;
  let sigDigest: string;

  before(async () => {
    home = await tempDir();
    scry = await storeSamplePack(home, 'scrydon');
    oras = await storeSamplePack(home, 'oras', { id: 'acme.payments', version: '2.1.0' });
    const sig = await storeArtifact(home, {
      artifactType: SIG_TYPE,
      config: { mediaType: MediaType.ociEmpty, bytes: EMPTY_JSON },
      layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', bytes: Buffer.from('{"fake":"bundle"}') }],
      subject: scry.manifest,
    });
    sigDigest = sig.digest;
    await storeArtifact(home, {
      config: {
        mediaType: MediaType.ociConfig,
        bytes: Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
      },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: Buffer.from('pretend layer') }],
      tag: 'busybox:1',
    });
  });
  after(cleanupTemps);

  it('shows a scrydon-shaped pack: descriptors, pack.json from the config, files with sizes, referrers', async () => {
    const r = await json<Inspected>(['inspect', 'acme.fraud:1.0.0'], { home });
    assert.equal(r.digest, scry.digest);
    assert.equal(r.mediaType, MediaType.ociManifest);
    assert.equal(r.artifactType, MediaType.packArtifact);
    assert.equal(r.config.mediaType, MediaType.packConfig);
    assert.equal(r.layers.length, 1);
    assert.equal(r.layers[0]?.mediaType, MediaType.packLayer);
    assert.equal(r.layers[0]?.annotations?.['org.opencontainers.image.title'], 'pack.tar.gz');
    assert.equal(r.annotations['io.scrydon.pack.id'], 'acme.fraud');
    assert.equal(r.size, r.config.size + (r.layers[0]?.size ?? 0) + scry.manifest.size);
    assert.ok(r.pack);
    assert.equal(r.pack.packJsonSource, 'config');
    assert.equal(r.pack.packJson.package.id, 'acme.fraud');
    assert.deepEqual(r.pack.packJson.installOrder, ['integration', 'ontology']);
    const { files } = samplePack();
    const listed = r.pack.files;
    for (const [path, body] of Object.entries(files)) {
      const f: { size: number } | undefined = listed.find((x) => x.path === path);
      assert.ok(f, `${path} listed`);
      assert.equal(f.size, Buffer.byteLength(body));
    }
    assert.ok(r.pack.files.some((f) => f.path === 'pack.json'));
    assert.equal(
      r.pack.unpackedSize,
      r.pack.files.reduce((n, f) => n + f.size, 0),
    );
    assert.equal(r.referrers.length, 1);
    assert.equal(r.referrers[0]?.digest, sigDigest);
    assert.equal(r.referrers[0]?.artifactType, SIG_TYPE);
  });

  it('reads pack.json from the layer of an oras-shaped pack (empty config), paths without ./', async () => {
    const r = await json<Inspected>(['inspect', 'acme.payments:2.1.0'], { home });
    assert.equal(r.digest, oras.digest);
    assert.equal(r.config.mediaType, MediaType.ociEmpty);
    assert.ok(r.pack);
    assert.equal(r.pack.packJsonSource, 'layer');
    assert.equal(r.pack.packJson.package.id, 'acme.payments');
    assert.equal(r.pack.packJson.package.version, '2.1.0');
    assert.deepEqual(r.pack.files.map((f) => f.path).sort(), [
      'integration/bundle.tar.gz',
      'ontology/classes/transaction.yaml',
      'ontology/manifest.json',
      'pack.json',
    ]);
    assert.deepEqual(r.referrers, []);
  });

  it('prints readable sections for a person', async () => {
    const r = await ok(['inspect', 'acme.fraud:1.0.0'], { home });
    for (const s of [
      'Digest:',
      'Artifact type: application/vnd.scrydon.pack.v1.tar.gzip',
      'Config:',
      'Layers (1):',
      'Pack: acme.fraud 1.0.0 (pack.json from the config)',
      'Files (4,',
      'ontology/manifest.json',
      'Referrers (1):',
      sigDigest,
    ]) {
      assert.ok(r.stdout.includes(s), `output has ${s}:\n${r.stdout}`);
    }
  });

  it('shows a plain image with pack: null', async () => {
    const r = await json<Inspected>(['inspect', 'busybox:1'], { home });
    assert.equal(r.pack, null);
    assert.equal(r.config.mediaType, MediaType.ociConfig);
    assert.equal(r.layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const text = await ok(['inspect', 'busybox:1'], { home });
    assert.match(text.stdout, /Pack: none/);
  });

  it('inspects by digest too, and names what is missing', async () => {
    const r = await json<Inspected>(['inspect', scry.digest], { home });
    assert.equal(r.pack?.packJson.package.id, 'acme.fraud');
    expectError(await scrydon(['inspect', 'acme.nothing:9.9.9'], { home }), 'not_found');
  });
});
