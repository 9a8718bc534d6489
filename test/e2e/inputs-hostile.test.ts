import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { cleanupTemps, expectError, FIXTURES, have, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { packEntries, samplePack, storeArtifact, storePack } from '../helpers/make-pack.js';
import { startRegistry } from '../helpers/registry.js';
import { http, sha256, startServe } from '../helpers/serve.js';
import { fakeSigstore, IDENTITY, ISSUER, storeKeylessArtifact } from '../helpers/sigstore-fixtures.js';

/**
 * Integrity and inputs made by other tools (issue 13): a layer damaged in the store is digest_mismatch whatever
 * gzip or tar make of it; save --trust leaves the store alone; build's size limit is a coded error at every
 * size; a ref.name without a colon (umoci, skopeo oci:) is addressable; inspect shows a refused pack before it
 * lists the problems; serve honours If-Range.
 */

after(cleanupTemps);

const REF_NAME = 'org.opencontainers.image.ref.name';
/** The image-spec 1.1.1 media type pattern (schema/defs-descriptor.json `mediaType`): no parameters. */
const IMAGE_SPEC_MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

interface IndexJson {
  manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
}

async function readIndexJson(home: string): Promise<IndexJson> {
  return JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as IndexJson;
}

/** The store's index.json entries; none when there is no store yet. */
async function entries(home: string): Promise<IndexJson['manifests']> {
  try {
    return (await readIndexJson(home)).manifests;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Flips `n` bytes of a store blob at `offset` (blobs are read-only; another process damaged it). */
async function damageBlob(home: string, digest: string, offset: number, n = 8): Promise<void> {
  const file = join(home, 'catalog', 'blobs', 'sha256', digest.slice(7));
  await chmod(file, 0o644);
  const bytes = await readFile(file);
  for (let i = offset; i < offset + n; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xa5;
  await writeFile(file, bytes);
}

describe('a pack layer damaged in the store: the digest check wins', () => {
  const { packJson, files } = samplePack();
  // small: the whole layer is read before gzip fails; large: gzip fails with megabytes of it still unread
  for (const [name, extra] of [
    ['small layer', 0],
    ['large layer', 6 << 20],
  ] as const) {
    test(`${name}: install and inspect say digest_mismatch with the scrydon check hint; nothing is installed`, async () => {
      const home = await tempDir();
      const more: Record<string, Buffer> = extra ? { 'ontology/z-noise.bin': randomBytes(extra) } : {};
      const p = await storePack(home, {
        shape: 'scrydon',
        packJson,
        entries: packEntries(packJson, { ...files, ...more }),
        tag: 'acme.fraud:1.0.0',
      });
      // inside the first deflate block (tar headers and pack.json): gzip or tar fail long before the end
      await damageBlob(home, p.layer.digest, 40);
      const before_ = await treeHash(home);
      for (const verb of ['install', 'inspect']) {
        const r = expectError(await scrydon([verb, 'acme.fraud:1.0.0'], { home }), 'digest_mismatch');
        assert.match(r.stderr, new RegExp(`does not match ${p.layer.digest}`));
        assert.match(r.stderr, /hint: .*scrydon check/);
        assert.equal(await treeHash(home), before_, `${verb} changed SCRYDON_HOME`);
      }
    });
  }
});

describe('save --trust', () => {
  test('the store is unchanged (ls, index.json, blobs); the archive carries the root that load + offline keyless verify need', async () => {
    const sigstore = await fakeSigstore();
    const a = await tempDir();
    await writeFile(join(a, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    const imported = await json<{ digest: string }>(['trust', 'import', join(a, 'trusted_root.json')], { home: a });
    await storeKeylessArtifact(join(a, 'catalog'), sigstore, 'ghcr.io/acme/app:1');
    const lsBefore = await json<unknown>(['ls'], { home: a });
    const indexBefore = await readFile(join(a, 'catalog', 'index.json'));
    const catalogBefore = await treeHash(join(a, 'catalog'));
    for (const args of [['ghcr.io/acme/app:1'], ['--all']]) {
      const archive = join(await tempDir(), 'keyless.tar');
      await ok(['save', ...args, '--trust', '-o', archive], { home: a });
      assert.deepEqual(await json<unknown>(['ls'], { home: a }), lsBefore, `save ${args.join(' ')} --trust changed ls`);
      assert.deepEqual(await readFile(join(a, 'catalog', 'index.json')), indexBefore, 'index.json changed');
      assert.equal(await treeHash(join(a, 'catalog')), catalogBefore, 'the store changed');

      const b = await tempDir();
      await ok(['load', '-i', archive], { home: b });
      // the archive's trust artifact: tagged there, with parameter-free media types (image-spec 1.1.1)
      const trust = (await readIndexJson(b)).manifests.find((m) =>
        m.annotations?.[REF_NAME]?.startsWith('scrydon.trust:'),
      );
      assert.ok(trust, 'the archive carries a scrydon.trust tag');
      const manifest = JSON.parse(
        await readFile(join(b, 'catalog', 'blobs', 'sha256', trust.digest.slice(7)), 'utf8'),
      ) as {
        artifactType: string;
        config: Descriptor;
        layers: Descriptor[];
      };
      assert.equal(manifest.artifactType, 'application/vnd.dev.sigstore.trustedroot+json');
      for (const t of [manifest.artifactType, manifest.config.mediaType, ...manifest.layers.map((l) => l.mediaType)])
        assert.match(t, IMAGE_SPEC_MEDIA_TYPE);
      assert.equal(manifest.layers[0]?.digest, imported.digest);
      await ok(['trust', 'import', '--digest', imported.digest], { home: b });
      const v = await json<{ trustRoot: string }>(
        ['verify', 'ghcr.io/acme/app:1', '--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER],
        { home: b },
      );
      assert.equal(v.trustRoot, imported.digest);
    }
  });

  test('an archive written with the old media type (…+json;version=0.1) still loads and imports its trusted root', async () => {
    const sigstore = await fakeSigstore();
    const a = await tempDir();
    const root = Buffer.from(JSON.stringify(sigstore.trustedRoot));
    const old = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
    const hex = sha256(root).slice(7, 19);
    // what save --trust staged and saved before: config {} and the root as the layer, under scrydon.trust:<hex>
    await storeArtifact(a, {
      config: { mediaType: 'application/vnd.oci.empty.v1+json', bytes: Buffer.from('{}') },
      layers: [{ mediaType: old, bytes: root }],
      artifactType: old,
      tag: `scrydon.trust:${hex}`,
    });
    const archive = join(a, 'old.tar');
    await ok(['save', `scrydon.trust:${hex}`, '-o', archive], { home: a });
    const b = await tempDir();
    await ok(['load', '-i', archive], { home: b });
    const t = await json<{ digest: string }>(['trust', 'import', '--digest', sha256(root)], { home: b });
    assert.equal(t.digest, sha256(root));
  });
});

describe('build: the size limit is a coded error at every size', () => {
  // incompressible files on both sides of a 1 MiB limit; well over it, the tar stream used to wait forever
  for (const [size, fits] of [
    [512 << 10, true],
    [(1 << 20) + (64 << 10), false],
    [2 << 20, false],
    [8 << 20, false],
  ] as const) {
    test(`${size} bytes against --max-size 1MiB: ${fits ? 'built' : 'size_limit_exceeded'}`, async () => {
      const home = await tempDir();
      const dir = join(await tempDir(), 'pack');
      await mkdir(join(dir, 'ontology'), { recursive: true });
      await writeFile(
        join(dir, 'pack.json'),
        JSON.stringify({
          schemaVersion: 1,
          package: { id: 'acme.big', version: '1.0.0' },
          contents: [{ kind: 'ontology', path: 'ontology' }],
          installOrder: ['ontology'],
        }),
      );
      await writeFile(join(dir, 'ontology', 'noise.bin'), randomBytes(size));
      const r = await scrydon(['build', dir, '--max-size', '1MiB'], { home });
      if (fits) {
        assert.equal(r.code, 0, r.stderr);
        return;
      }
      expectError(r, 'size_limit_exceeded');
      assert.match(r.stderr, /over the 1048576-byte limit/);
      assert.match(r.stderr, /hint: .*--max-size/);
      assert.deepEqual(await entries(home), [], 'nothing stored');
    });
  }
});

describe('a ref.name another tool wrote without a colon (umoci tag … plain)', () => {
  test(
    'written by umoci itself: inspect and rm address it',
    { skip: !have('umoci') && 'umoci is not installed (apt-get install umoci)' },
    async () => {
      const home = await tempDir();
      const built = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home });
      const u = spawnSync('umoci', ['tag', '--image', `${join(home, 'catalog')}:acme.core:1.0.0`, 'plain'], {
        encoding: 'utf8',
      });
      assert.equal(u.status, 0, u.stderr);
      assert.ok((await json<Array<{ ref: string }>>(['ls'], { home })).some((e) => e.ref === 'plain'));
      assert.equal((await json<{ digest: string }>(['inspect', 'plain'], { home })).digest, built.digest);
      await ok(['rm', 'plain'], { home });
      assert.deepEqual(
        (await json<Array<{ ref: string }>>(['ls'], { home })).map((e) => e.ref),
        ['acme.core:1.0.0'],
      );
    },
  );

  test('ls lists it and inspect, tag, save and rm address it exactly; plain:latest stays its own tag', async () => {
    const home = await tempDir();
    const a = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home });
    const b = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    // as umoci writes tags: the ref.name alone, no repository; and a name no reference grammar accepts
    const idx = await readIndexJson(home);
    const entryOf = (digest: string): Descriptor => {
      const m = idx.manifests.find((x) => x.digest === digest);
      assert.ok(m);
      return { mediaType: m.mediaType, digest: m.digest, size: m.size };
    };
    idx.manifests.push({ ...entryOf(a.digest), annotations: { [REF_NAME]: 'plain' } });
    idx.manifests.push({ ...entryOf(b.digest), annotations: { [REF_NAME]: 'plain:latest' } });
    idx.manifests.push({ ...entryOf(b.digest), annotations: { [REF_NAME]: 'Release-1+build' } });
    idx.manifests.push({ ...entryOf(b.digest), annotations: { [REF_NAME]: `pinned@${a.digest}` } });
    idx.manifests.push({ ...entryOf(b.digest), annotations: { [REF_NAME]: 'foo@bar' } }); // @ is in ref.name's separator set
    await writeFile(join(home, 'catalog', 'index.json'), JSON.stringify(idx));

    const refs = (await json<Array<{ ref: string; digest: string }>>(['ls'], { home })).map((e) => e.ref);
    for (const r of ['plain', 'plain:latest', 'Release-1+build']) assert.ok(refs.includes(r), `ls shows ${r}`);
    // the exact name first: plain is the acme.core entry, plain:latest the acme.fraud one
    assert.equal((await json<{ digest: string }>(['inspect', 'plain'], { home })).digest, a.digest);
    assert.equal((await json<{ digest: string }>(['inspect', 'plain:latest'], { home })).digest, b.digest);
    assert.equal((await json<{ digest: string }>(['inspect', 'Release-1+build'], { home })).digest, b.digest);
    // a digest means its content, whatever ref.name another tool wrote
    assert.equal((await json<{ digest: string }>(['inspect', `pinned@${a.digest}`], { home })).digest, a.digest);
    assert.equal((await json<{ digest: string }>(['inspect', 'foo@bar'], { home })).digest, b.digest);

    await ok(['tag', 'plain', 'copy.of.plain:1'], { home });
    assert.equal((await json<{ digest: string }>(['inspect', 'copy.of.plain:1'], { home })).digest, a.digest);
    // tagging onto an existing exact name moves that entry, so `inspect plain` shows what was just tagged
    await ok(['tag', b.digest, 'plain'], { home });
    assert.equal((await json<{ digest: string }>(['inspect', 'plain'], { home })).digest, b.digest);
    await ok(['tag', a.digest, 'plain'], { home });

    const archive = join(await tempDir(), 'plain.tar');
    const saved = await json<{ refs: Array<{ ref: string; digest: string }> }>(
      ['save', 'plain', 'Release-1+build', '--no-dependencies', '-o', archive],
      { home },
    );
    assert.deepEqual(saved.refs, [
      { ref: 'plain', digest: a.digest },
      { ref: 'Release-1+build', digest: b.digest },
    ]);

    const removed = await json<{ removed: Array<{ ref: string; digest: string }> }>(
      ['rm', 'plain', 'Release-1+build'],
      { home },
    );
    assert.deepEqual(
      removed.removed.map((r) => r.digest),
      [a.digest, b.digest],
    );
    const left = (await readIndexJson(home)).manifests
      .map((m) => m.annotations?.[REF_NAME])
      .filter((r) => r !== undefined);
    assert.ok(!left.includes('plain') && !left.includes('Release-1+build'));
    assert.ok(left.includes('plain:latest'), 'rm plain left plain:latest alone');
    // with no entry named plain, plain means plain:latest again
    assert.equal((await json<{ digest: string }>(['inspect', 'plain'], { home })).digest, b.digest);
    // a name that is no reference and no ref.name any more is invalid; an unknown tag not_found
    expectError(await scrydon(['inspect', 'Release-1+build'], { home }), 'invalid_reference');
    expectError(await scrydon(['rm', 'nothing.here'], { home }), 'not_found');
  });
});

describe('inspect of an artifact of the pack type with an invalid pack.json', () => {
  const { packJson, files } = samplePack();
  const bad = { ...packJson, package: { id: 'Not A Valid Id', version: 'one' } };
  for (const shape of ['scrydon', 'oras'] as const) {
    test(`${shape} shape: manifest, descriptors and annotations first, then the problems; exit 1 with pack_invalid (also --json)`, async () => {
      const home = await tempDir();
      const p = await storePack(home, {
        shape,
        packJson: bad,
        entries: packEntries(shape === 'oras' ? bad : packJson, files),
        tag: 'pushed.by.oras:1',
        annotations: { 'org.opencontainers.image.created': '2025-01-01T00:00:00Z' },
      });
      const before_ = await treeHash(home);
      const r = expectError(await scrydon(['inspect', 'pushed.by.oras:1'], { home }), 'pack_invalid');
      assert.match(r.stdout, new RegExp(`Digest: +${p.digest}`));
      assert.match(r.stdout, /Layers \(1\):/);
      assert.ok(r.stdout.includes(p.layer.digest));
      assert.match(r.stdout, /org\.opencontainers\.image\.created: 2025-01-01T00:00:00Z/);
      assert.match(r.stdout, /Pack: refused \(pack_invalid\)/);
      assert.match(r.stdout, /package\.id: /);
      assert.match(r.stdout, /package\.version: /);

      const j = expectError(await scrydon(['inspect', 'pushed.by.oras:1', '--json'], { home }), 'pack_invalid');
      const data = JSON.parse(j.stdout) as {
        digest: string;
        layers: Descriptor[];
        pack: unknown;
        packError: { code: string; problems: Array<{ path: string; message: string }> };
      };
      assert.equal(data.digest, p.digest);
      assert.equal(data.layers[0]?.digest, p.layer.digest);
      assert.equal(data.pack, null);
      assert.equal(data.packError.code, 'pack_invalid');
      assert.deepEqual([...new Set(data.packError.problems.map((x) => x.path))].sort(), [
        '/package/id',
        '/package/version',
      ]);
      assert.equal(await treeHash(home), before_);
    });
  }

  test('on a registry (docker://, the config only): the same, nothing stored', async () => {
    const registry = await startRegistry();
    try {
      const home = await tempDir();
      const p = await storePack(home, {
        shape: 'scrydon',
        packJson: bad,
        entries: packEntries(packJson, files),
        tag: 'pushed.by.oras:1',
      });
      const remote = `${registry.host}/other/tool:1`;
      await ok(['push', 'pushed.by.oras:1', remote, '--plain-http'], { home });
      const empty = await tempDir();
      const r = expectError(
        await scrydon(['inspect', `docker://${remote}`, '--plain-http', '--json'], { home: empty }),
        'pack_invalid',
      );
      const data = JSON.parse(r.stdout) as { digest: string; config: Descriptor; packError: { problems: unknown[] } };
      assert.equal(data.digest, p.digest);
      assert.equal(data.config.mediaType, 'application/vnd.scrydon.pack.config.v1+json');
      assert.ok(data.packError.problems.length > 0);
      assert.deepEqual(await entries(empty), [], 'nothing stored');
    } finally {
      await registry.stop();
    }
  });
});

describe('serve: If-Range', () => {
  test('a matching strong ETag keeps the Range (206); anything else gets 200 and the whole blob (RFC 9110 §13.1.5)', async () => {
    const home = await tempDir();
    const p = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    const manifest = JSON.parse(
      await readFile(join(home, 'catalog', 'blobs', 'sha256', p.digest.slice(7)), 'utf8'),
    ) as { layers: Descriptor[] };
    const layer = manifest.layers[0] as Descriptor;
    const serve = await startServe(home);
    try {
      const url = `${serve.url}/v2/acme.fraud/blobs/${layer.digest}`;
      const whole = await http(url);
      assert.equal(whole.headers.etag, `"${layer.digest}"`);
      const match = await http(url, { headers: { range: 'bytes=0-9', 'if-range': `"${layer.digest}"` } });
      assert.equal(match.status, 206);
      assert.deepEqual(match.body, whole.body.subarray(0, 10));
      for (const ifRange of [
        `"sha256:${'0'.repeat(64)}"`,
        `W/"${layer.digest}"`,
        'Sun, 06 Nov 1994 08:49:37 GMT',
        'garbage',
      ]) {
        for (const range of ['bytes=0-9', `bytes=${layer.size}-`]) {
          const r = await http(url, { headers: { range, 'if-range': ifRange } });
          assert.equal(r.status, 200, `${range} with If-Range ${ifRange}`);
          assert.equal(r.headers['content-range'], undefined);
          assert.equal(sha256(r.body), layer.digest);
        }
      }
    } finally {
      await serve.stop();
    }
  });
});
