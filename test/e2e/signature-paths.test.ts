import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { ociCatalog, publishCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { http, startServe } from '../helpers/serve.js';

/**
 * Signatures travel on every path (issue 13 §4), against Debian's docker-registry (distribution 2.8: no referrers
 * API, so bundle referrers live in the sha256-<hex> fallback index):
 * - `copy` carries cosign's legacy sha256-<hex>.sig tags in every direction (store, oci: layout, registry);
 * - an artifact mirrored by digest is stored as REPO@sha256:<hex>, so `push --all` no longer writes it over the
 *   registry's fallback index; old stores are renamed; a sha256-<hex> tag only ever takes an index.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
let registry: RunningRegistry;
let mirror: RunningRegistry;
let reg: string;
let keys: string;
let signed: string; // a home holding acme.fraud:1.2.0 with a legacy .sig
let digest: string;

function verifyArgs(ref: string, ...extra: string[]): string[] {
  return ['verify', ref, '--key', join(keys, 'cosign.pub'), ...extra];
}

async function legacyVerified(ref: string, o: RunOptions, ...extra: string[]): Promise<void> {
  const v = await json<{ verified: Array<{ format: string }> }>(verifyArgs(ref, ...extra), o);
  assert.deepEqual(
    v.verified.map((s) => s.format),
    ['legacy'],
    `${ref}: ${JSON.stringify(v)}`,
  );
}

before(async () => {
  registry = await startRegistry();
  mirror = await startRegistry();
  reg = registry.host;
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  signed = await tempDir();
  digest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: signed })).digest;
  await ok(['sign', 'acme.fraud:1.2.0', '--legacy', '--key', join(keys, 'cosign.key')], { home: signed, env: PW });
});

after(async () => {
  await registry?.stop();
  await mirror?.stop();
  await cleanupTemps();
});

describe('copy carries legacy .sig signatures in every direction', () => {
  test('store -> oci: layout -> another store', async () => {
    const layout = join(await tempDir(), 'layout');
    await ok(['copy', 'acme.fraud:1.2.0', `oci:${layout}:fraud`], { home: signed });
    const names = (
      JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
        manifests: Array<{ annotations?: Record<string, string> }>;
      }
    ).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.ok(names.includes(`sha256-${digest.slice(7)}.sig`), JSON.stringify(names));
    const home = await tempDir();
    await ok(['copy', `oci:${layout}:fraud`, 'store:copied.fraud:1'], { home });
    assert.ok(
      (await json<Array<{ ref: string }>>(['ls'], { home })).some(
        (e) => e.ref === `copied.fraud:sha256-${digest.slice(7)}.sig`,
      ),
    );
    await legacyVerified('copied.fraud:1', { home });
  });

  test('store -> registry, registry -> registry, registry -> store', async () => {
    await ok(['copy', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`, '--plain-http'], { home: signed });
    await legacyVerified(`${reg}/acme/fraud:1.2.0`, { home: await tempDir() }, '--remote', '--plain-http');
    await ok(['copy', `${reg}/acme/fraud:1.2.0`, `${reg}/other/fraud:1`, '--plain-http'], { home: await tempDir() });
    await legacyVerified(`${reg}/other/fraud:1`, { home: await tempDir() }, '--remote', '--plain-http');
    const home = await tempDir();
    await ok(['copy', `${reg}/other/fraud:1`, 'store:pulled.fraud:1', '--plain-http'], { home });
    await legacyVerified('pulled.fraud:1', { home });
  });

  test('a .sig tag that holds no signature (a pack tagged so) is not carried', async () => {
    const home = await tempDir();
    const core = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home })).digest;
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    await ok(['tag', 'acme.fraud:1.2.0', `acme.core:sha256-${core.slice(7)}.sig`], { home });
    await ok(['copy', 'acme.core:1.0.0', `${reg}/crafted/core:1`, '--plain-http'], { home });
    const tags = (await (await fetch(`http://${reg}/v2/crafted/core/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['1']);
  });

  test('push and pull carry them too (paths that already did)', async () => {
    await ok(['push', 'acme.fraud:1.2.0', `${reg}/pushed/fraud:1`, '--plain-http'], { home: signed });
    const home = await tempDir();
    await ok(['pull', `${reg}/pushed/fraud:1`, '--plain-http'], { home });
    await legacyVerified(`${reg}/pushed/fraud:1`, { home });
  });
});

describe('digest-only artifacts never take a referrers fallback tag', () => {
  test('reconcile a signed OCI catalog of @sha256 entries, push --all to distribution 2.8, pull elsewhere, verify', async () => {
    // the publisher: a bundle signature (a referrer: on distribution 2.8, an entry of the fallback index sha256-<hex>)
    const pub = await tempDir();
    const core = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home: pub }))
      .digest;
    await ok(['sign', 'acme.core:1.0.0', '--key', join(keys, 'cosign.key')], { home: pub, env: PW });
    await ok(['push', 'acme.core:1.0.0', `${reg}/acme/core:1.0.0`, '--plain-http'], { home: pub });
    await publishCatalog(
      reg,
      'acme/catalog',
      'catalog',
      ociCatalog([['acme.core', '1.0.0', `${reg}/acme/core@${core}`, 'cosign-key']]),
    );

    // the site: reconcile mirrors it by digest, then publishes the whole store into its own registry
    const site = await tempDir();
    await ok(
      [
        'source',
        'add',
        'up',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/catalog`,
        '--plain-http',
        '--signature-policy',
        'cosign-key',
        '--public-key',
        join(keys, 'cosign.pub'),
      ],
      { home: site },
    );
    const run = await scrydon(['reconcile', '--json'], { home: site });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const names = (await json<Array<{ ref: string }>>(['ls'], { home: site })).map((e) => e.ref);
    assert.ok(names.includes(`${reg}/acme/core@${core}`), JSON.stringify(names));
    assert.ok(!names.some((n) => /:sha256-[0-9a-f]{64}$/.test(n)), JSON.stringify(names));
    await ok(['push', '--all', `${mirror.host}/site`, '--plain-http'], { home: site });

    // across the air gap the pin keeps its name (an untagged root would be garbage to gc)
    const tar = join(await tempDir(), 'site.tar');
    await ok(['save', '--all', '-o', tar], { home: site });
    const far = await tempDir();
    await ok(['load', '-i', tar], { home: far });
    await ok(['gc', '--grace', '0'], { home: far });
    assert.ok(
      (await json<Array<{ ref: string }>>(['ls'], { home: far })).some((e) => e.ref === `${reg}/acme/core@${core}`),
    );
    await json(verifyArgs(`${reg}/acme/core@${core}`), { home: far });

    // and `serve` of the far store offers it by digest under its repository (it has no tag to list)
    const served = await startServe(far);
    try {
      const repo = `${reg.replace(':', '_')}/acme/core`;
      const m = await http(`${served.url}/v2/${repo}/manifests/${core}`);
      assert.equal(m.status, 200, m.body.toString());
      const cat = JSON.parse((await http(`${served.url}/v2/_catalog`)).body.toString()) as { repositories: string[] };
      assert.ok(cat.repositories.includes(repo), JSON.stringify(cat));
      const node2 = await tempDir();
      await ok(['pull', `${served.host}/${repo}@${core}`, '--plain-http'], { home: node2 });
      await json(verifyArgs(`${served.host}/${repo}@${core}`), { home: node2 });
    } finally {
      await served.stop();
    }

    // a node pulls from the site registry and verifies: the fallback index still lists the signature
    const node = await tempDir();
    await ok(['pull', `${mirror.host}/site/acme/core@${core}`, '--plain-http'], { home: node });
    const v = await json<{ verified: Array<{ format: string }> }>(verifyArgs(`${mirror.host}/site/acme/core@${core}`), {
      home: node,
    });
    assert.deepEqual(
      v.verified.map((s) => s.format),
      ['bundle'],
    );
    const fallback = await fetch(`http://${mirror.host}/v2/site/acme/core/manifests/sha256-${core.slice(7)}`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(fallback.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
  });

  test('a store of an earlier version (REPO:sha256-<hex> names) is renamed on open; push never writes such a tag over an index', async () => {
    const home = await tempDir();
    const d = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home })).digest;
    const indexFile = join(home, 'catalog', 'index.json');
    const idx = JSON.parse(await readFile(indexFile, 'utf8')) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    const pack = idx.manifests.find((m) => m.digest === d);
    assert.ok(pack);
    idx.manifests.push({
      ...pack,
      annotations: { 'org.opencontainers.image.ref.name': `${reg}/acme/fraud:sha256-${d.slice(7)}` },
    });
    await writeFile(indexFile, JSON.stringify(idx));
    // an earlier version's store carries no marker that its names were migrated (store/pin.ts)
    await rm(join(home, 'catalog', 'scrydon-pins-migrated'));
    const names = (await json<Array<{ ref: string }>>(['ls'], { home })).map((e) => e.ref);
    assert.deepEqual(names.sort(), [`${reg}/acme/fraud@${d}`, 'acme.fraud:1.2.0'].sort());
    assert.ok((await readFile(indexFile, 'utf8')).includes(`${reg}/acme/fraud@${d}`));

    // a tag that looks like a fallback tag (of another digest): the store will not name anything so
    const fake = `sha256-${'a'.repeat(64)}`;
    const clean = await treeHash(home);
    expectError(await scrydon(['tag', 'acme.fraud:1.2.0', `acme/fake:${fake}`], { home }), 'invalid_reference');
    assert.equal(await treeHash(home), clean);
    // one left by an earlier version: push and push --all refuse it before uploading anything
    const idx2 = JSON.parse(await readFile(indexFile, 'utf8')) as typeof idx;
    idx2.manifests.push({ ...pack, annotations: { 'org.opencontainers.image.ref.name': `acme/fake:${fake}` } });
    await writeFile(indexFile, JSON.stringify(idx2));
    const before = await treeHash(home);
    const r = expectError(
      await scrydon(['push', `acme/fake:${fake}`, `${reg}/acme/fake:${fake}`, '--plain-http'], { home }),
      'invalid_reference',
    );
    assert.match(r.stderr, /holds referrers/);
    const all = expectError(
      await scrydon(['push', '--all', `${reg}/old`, '--plain-http'], { home }),
      'invalid_reference',
    );
    assert.match(all.stderr, /nothing was pushed/);
    for (const repo of ['acme/fake', 'old/acme.fraud', 'old/acme/fake']) {
      const tags = await fetch(`http://${reg}/v2/${repo}/tags/list`);
      assert.equal(tags.status, 404, `${repo} was written`);
    }
    assert.equal(await treeHash(home), before);
  });
});
