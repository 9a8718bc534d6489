import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  cleanupTemps,
  expectError,
  json,
  ok,
  ROOT,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { publishCatalog } from '../helpers/oci-catalog.js';
import { startProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { reconcileRuns, siteHome, siteNode, skopeo } from '../helpers/site.js';
import { writeSmallPackDir } from '../helpers/small-pack.js';

/**
 * Retention (issue 19 item 5) and `--locked` from the published lock (item 4), against Debian's distribution 2.8
 * with deletes enabled (and one without): `gc --keep-versions N` on a site store and on a node, `publish --prune`
 * keeping what a retained published lock pins, and fresh nodes running `reconcile --locked` from the lock `publish`
 * writes beside its catalog.
 */

const ID = 'acme.retain';
const SLSA1 = 'https://slsa.dev/provenance/v1';
let registry: RunningRegistry;
let upstream: string;
let siteKeys: string;
let work: string;
let site: RunOptions & { home: string };
/** The node that reconciles from the site all along (its lock and store are what keep-versions must respect). */
let node: RunOptions & { home: string };
const digests = new Map<string, string>();

type Home = RunOptions & { home: string };

interface Published {
  catalog: { reference: string; digest: string; unchanged: boolean };
  lock: { reference: string; digest: string; unchanged: boolean };
  packs: Array<{ id: string; version: string; digest: string }>;
  pruned?: {
    deleted: Array<{ version: string; digest: string }>;
    pinned: Array<{ version: string; digest: string; pinnedBy: string[] }>;
    expiredLocks: string[];
    notDeleted: string[];
  };
}
interface Version {
  id: string;
  version: string;
  digest: string;
  refs: string[];
  keptBecause: string[];
}
interface GcJson {
  dryRun: boolean;
  untagged: string[];
  removed: Array<{ digest: string }>;
  versions: Version[];
}

/** Builds `ID:version` in `home`, signs it with the upstream key and verifies it there (a receipt: the site may sign). */
async function buildSigned(home: Home, version: string): Promise<string> {
  const dir = join(work, `${version}-${Math.random().toString(36).slice(2)}`);
  await writeSmallPackDir(dir, ID, version);
  const b = await json<{ digest: string }>(['build', dir], home);
  await ok(['sign', `${ID}:${version}`, '--key', join(upstream, 'cosign.key')], home);
  await ok(['verify', `${ID}:${version}`, '--key', join(upstream, 'cosign.pub')], home);
  digests.set(version, b.digest);
  return b.digest;
}

function publish(home: Home, prefix: string, ...args: string[]): Promise<Published> {
  return json<Published>(
    ['publish', prefix, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key'), ...args],
    home,
  );
}

async function storeVersions(home: Home): Promise<string[]> {
  const packs = await json<Array<{ id: string; version: string }>>(['ls'], home);
  return [...new Set(packs.filter((p) => p.id === ID).map((p) => p.version))].sort();
}

async function installed(home: Home): Promise<Array<[string, string]>> {
  const { packs } = await json<{ packs: Array<{ id: string; version: string; digest: string }> }>(['installed'], home);
  return packs.map((p) => [p.version, p.digest]);
}

/** The scrydon.yaml of the catalog the registry's tag names now. */
async function catalogYaml(prefix: string): Promise<string> {
  const m = JSON.parse(
    skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/${prefix}/catalog:catalog`),
  ) as { layers: Array<{ digest: string }> };
  return (await fetch(`http://${registry.host}/v2/${prefix}/catalog/blobs/${m.layers[0]?.digest}`)).text();
}

async function tagsOf(repo: string, host = registry.host): Promise<string[]> {
  const r = await fetch(`http://${host}/v2/${repo}/tags/list`);
  if (r.status === 404) return [];
  return (((await r.json()) as { tags: string[] | null }).tags ?? []).sort();
}

async function manifestThere(repo: string, digest: string, host = registry.host): Promise<boolean> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return r.status === 200;
}

before(async () => {
  registry = await startRegistry();
  upstream = await tempDir();
  siteKeys = await tempDir();
  work = await tempDir();
  site = await siteHome();
  for (const k of [upstream, siteKeys]) await ok(['key', 'generate', '--dir', k], site);
  await buildSigned(site, '1.0.0');
  await buildSigned(site, '1.1.0');
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('published lock and --locked', () => {
  const prefix = () => `${registry.host}/site/packs`;

  test('publish writes the lock of its catalog as a referrer tagged catalog.lock.1; a re-run writes no new lock', async () => {
    const p = await publish(site, prefix());
    assert.equal(p.lock.unchanged, false);
    assert.equal(p.lock.reference, `${prefix()}/catalog:catalog.lock.1`);
    const m = JSON.parse(
      skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/site/packs/catalog:catalog.lock.1`),
    ) as { artifactType: string; subject: { digest: string }; layers: Array<{ digest: string }> };
    assert.equal(m.artifactType, 'application/vnd.scrydon.lock.v1+json');
    assert.equal(m.subject.digest, p.catalog.digest, 'a referrer of the catalog it locks');
    const lock = (await (
      await fetch(`http://${registry.host}/v2/site/packs/catalog/blobs/${m.layers[0]?.digest}`)
    ).json()) as { revision: string; catalogDigest: string; packs: Array<{ version: string; digest: string }> };
    assert.equal(lock.revision, p.catalog.digest);
    assert.deepEqual(
      lock.packs.map((x) => [x.version, x.digest]),
      [
        ['1.0.0', digests.get('1.0.0')],
        ['1.1.0', digests.get('1.1.0')],
      ],
    );
    // the referrers tag schema (distribution 2.8 has no referrers API) lists it, so a node mirrors it with the catalog
    const fallback = JSON.parse(
      skopeo(
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.host}/site/packs/catalog:sha256-${p.catalog.digest.slice(7)}`,
      ),
    ) as { manifests: Array<{ digest: string }> };
    assert.ok(fallback.manifests.some((x) => x.digest === p.lock.digest));
    const again = await publish(site, prefix());
    assert.equal(again.lock.unchanged, true);
    assert.equal(again.lock.digest, p.lock.digest);
    assert.deepEqual(
      (await tagsOf('site/packs/catalog')).filter((t) => t.includes('.lock.')),
      ['catalog.lock.1'],
    );
  });

  test('a fresh node that never reconciled installs exactly the published lock with reconcile --locked', async () => {
    node = await siteNode(`${prefix()}/catalog`, join(siteKeys, 'cosign.pub'));
    const runs = await reconcileRuns(node, '--locked');
    assert.equal(runs[0]?.outcome, 'success', JSON.stringify(runs));
    assert.deepEqual(
      runs[0]?.packs.map((p) => [p.version, p.outcome, p.digest]),
      [
        ['1.0.0', 'mirrored', digests.get('1.0.0')],
        ['1.1.0', 'installed', digests.get('1.1.0')],
      ],
    );
    assert.deepEqual(await installed(node), [['1.1.0', digests.get('1.1.0')]]);
  });

  test('gc --keep-versions 2 on the site: of three versions the oldest goes; --dry-run says why each stays and changes nothing', async () => {
    await buildSigned(site, '1.2.0');
    const before = await treeHash(join(site.home, 'catalog'));
    const dry = await json<GcJson>(['gc', '--keep-versions', '2', '--grace', '0', '--dry-run'], site);
    assert.deepEqual(
      dry.versions.map((v) => [v.version, v.keptBecause]),
      [
        ['1.2.0', ['newest 2']],
        ['1.1.0', ['newest 2']],
        ['1.0.0', []],
      ],
    );
    assert.deepEqual(dry.untagged, [`${ID}:1.0.0`]);
    assert.ok(
      dry.removed.some((r) => r.digest === digests.get('1.0.0')),
      'its manifest would be freed',
    );
    assert.equal(await treeHash(join(site.home, 'catalog')), before, 'a dry run changes nothing');
    const text = await ok(['gc', '--keep-versions', '2', '--grace', '0', '--dry-run'], site);
    assert.match(text.stdout, /keep acme\.retain 1\.2\.0 \w+: newest 2/);
    assert.match(text.stdout, /would untag acme\.retain 1\.0\.0 \w+: acme\.retain:1\.0\.0/);

    const real = await json<GcJson>(['gc', '--keep-versions', '2', '--grace', '0'], site);
    assert.deepEqual(real.untagged, [`${ID}:1.0.0`]);
    assert.deepEqual(await storeVersions(site), ['1.1.0', '1.2.0']);
    const blobs = await readdir(join(site.home, 'catalog', 'blobs', 'sha256'));
    assert.ok(!blobs.includes(digests.get('1.0.0')?.slice(7) ?? ''), "1.0.0's manifest is collected");
    // its signature went with it: verifying the kept versions still works offline
    await ok(['verify', `${ID}:1.1.0`, '--key', join(upstream, 'cosign.pub')], site);
  });

  test('hostile --keep-versions (0, 1.5, two, -1) is a usage error and changes nothing', async () => {
    const before = await treeHash(site.home);
    for (const bad of ['0', '1.5', 'two', '-1']) {
      const r = await scrydon(['gc', '--keep-versions', bad, '--grace', '0'], site);
      expectError(r, 'usage', 2);
    }
    expectError(await scrydon(['publish', prefix(), '--plain-http', '--prune', '--keep-locks', '0'], site), 'usage', 2);
    assert.equal(await treeHash(site.home), before);
  });

  let second: Published;
  test('publish --prune: 1.0.0 leaves the catalog but stays in the registry while a retained lock pins it', async () => {
    second = await publish(site, prefix(), '--prune');
    assert.equal(second.lock.reference, `${prefix()}/catalog:catalog.lock.2`);
    assert.deepEqual(
      second.pruned?.pinned.map((p) => [p.version, p.pinnedBy]),
      [['1.0.0', ['catalog.lock.1']]],
    );
    assert.deepEqual(second.pruned?.deleted, []);
    const yaml = await catalogYaml('site/packs');
    assert.ok(!yaml.includes(digests.get('1.0.0') ?? 'x'), 'not in the catalog');
    assert.ok(yaml.includes(digests.get('1.2.0') ?? 'x'));
    assert.ok(await manifestThere(`site/packs/${ID}`, digests.get('1.0.0') ?? ''), 'still in the registry');
    assert.ok((await tagsOf(`site/packs/${ID}`)).includes('1.0.0'));
  });

  test('the node reconciles the new catalog: installs 1.2.0; its lock now pins 1.1.0 and 1.2.0', async () => {
    const runs = await reconcileRuns(node);
    assert.equal(runs[0]?.outcome, 'success', JSON.stringify(runs));
    assert.deepEqual(await installed(node), [['1.2.0', digests.get('1.2.0')]]);
    const lock = JSON.parse(await readFile(join(node.home, 'state', 'site.lock.json'), 'utf8')) as {
      packs: Array<{ version: string }>;
    };
    assert.deepEqual(
      lock.packs.map((p) => p.version),
      ['1.1.0', '1.2.0'],
    );
  });

  test('a catalog tag moved to a catalog with an extra digest fails --locked on a fresh node, which installs nothing', async () => {
    const genuine = await catalogYaml('site/packs');
    const extra = `  - id: acme.extra\n    version: 9.0.0\n    artifact:\n      kind: oci\n      ref: ${prefix()}/${ID}:1.0.0@${digests.get('1.0.0')}\n    signature:\n      kind: none\n`;
    const tampered = genuine.replace(/\npacks:\n/, `\npacks:\n${extra}`);
    assert.notEqual(tampered, genuine);
    await publishCatalog(registry.host, 'site/packs/catalog', 'catalog', tampered);
    const fresh = await siteNode(`${prefix()}/catalog`, join(siteKeys, 'cosign.pub'));
    const r = await scrydon(['reconcile', '--locked', '--json'], fresh);
    assert.equal(r.code, 1, r.stderr);
    const runs = JSON.parse(r.stdout) as Array<{ outcome: string; code?: string; detail?: string }>;
    assert.equal(runs[0]?.outcome, 'failed');
    assert.equal(runs[0]?.code, 'verify_failed', JSON.stringify(runs));
    assert.deepEqual(await installed(fresh), []);
    // the node with its own lock is pinned to the catalog it locked, by digest: the moved tag changes nothing there
    const pinned = await reconcileRuns(node, '--locked');
    assert.equal(pinned[0]?.outcome, 'success', JSON.stringify(pinned));
    assert.deepEqual(await installed(node), [['1.2.0', digests.get('1.2.0')]]);
    // publishing again puts the tag back (the lock already says it: no new lock)
    const back = await publish(site, prefix());
    assert.equal(back.catalog.digest, second.catalog.digest);
    assert.equal(back.lock.unchanged, true);
  });

  test('gc --keep-versions 1 on the node: installed and locked versions stay even when older; the rest goes', async () => {
    // a newer version built on the node itself: the newest, though nothing installs or locks it
    await buildSigned(node, '1.3.0');
    const r = await json<GcJson>(['gc', '--keep-versions', '1', '--grace', '0'], node);
    assert.deepEqual(
      r.versions.map((v) => [v.version, v.keptBecause]),
      [
        ['1.3.0', ['newest 1']],
        ['1.2.0', ['installed', 'locked by source site']],
        ['1.1.0', ['locked by source site']],
        ['1.0.0', []],
      ],
    );
    assert.deepEqual(await storeVersions(node), ['1.1.0', '1.2.0', '1.3.0']);
  });

  test('publish --prune --keep-locks 1 after the site drops 1.1.0: the registry loses 1.0.0 and 1.1.0 and the expired locks', async () => {
    await ok(['gc', '--keep-versions', '1', '--grace', '0'], site);
    const third = await publish(site, prefix(), '--prune', '--keep-locks', '1');
    assert.equal(third.lock.reference, `${prefix()}/catalog:catalog.lock.3`);
    assert.deepEqual(third.pruned?.expiredLocks.sort(), ['catalog.lock.1', 'catalog.lock.2']);
    assert.deepEqual(third.pruned?.deleted.map((d) => d.version).sort(), ['1.0.0', '1.1.0']);
    assert.deepEqual(third.pruned?.notDeleted, []);
    for (const v of ['1.0.0', '1.1.0'])
      assert.equal(await manifestThere(`site/packs/${ID}`, digests.get(v) ?? ''), false, `${v} deleted`);
    assert.deepEqual(await tagsOf(`site/packs/${ID}`), ['1.2.0', `sha256-${digests.get('1.2.0')?.slice(7)}`]);
    assert.deepEqual(
      (await tagsOf('site/packs/catalog')).filter((t) => t.includes('.lock.')),
      ['catalog.lock.3'],
    );
    assert.equal(await manifestThere('site/packs/catalog', second.catalog.digest), false, 'the expired catalog went');
    // a fresh node still installs exactly the published lock
    const fresh = await siteNode(`${prefix()}/catalog`, join(siteKeys, 'cosign.pub'));
    const runs = await reconcileRuns(fresh, '--locked');
    assert.equal(runs[0]?.outcome, 'success', JSON.stringify(runs));
    assert.deepEqual(await installed(fresh), [['1.2.0', digests.get('1.2.0')]]);
  });

  test('rollback: the node installs its kept previous version with the registry gone', async () => {
    const ref = (await json<Array<{ ref: string; version: string }>>(['ls'], node)).find(
      (e) => e.version === '1.1.0',
    )?.ref;
    assert.equal(ref, `${registry.host}/site/packs/${ID}:1.1.0`, 'kept under the name it was mirrored as');
    await registry.stop();
    await ok(['install', ref], node);
    assert.deepEqual(await installed(node), [['1.1.0', digests.get('1.1.0')]]);
    await ok(['verify', ref, '--key', join(siteKeys, 'cosign.pub')], node);
  });
});

describe('publish --prune on a registry that does not delete', () => {
  test('405: the catalog drops the pack, the registry keeps it, publish warns and exits 0', async () => {
    const nodel = await startRegistry({ kind: 'none' }, { deletes: false });
    try {
      const prefix = `${nodel.host}/site/packs`;
      const s = await siteHome();
      await ok(['key', 'generate', '--dir', await tempDir()], s);
      const v1 = await buildSigned(s, '1.0.0');
      await buildSigned(s, '1.1.0');
      await publish(s, prefix);
      await ok(['gc', '--keep-versions', '1', '--grace', '0'], s);
      const r = await ok(
        ['publish', prefix, '--plain-http', '--sign-key', join(siteKeys, 'cosign.key'), '--prune', '--keep-locks', '1'],
        s,
      );
      assert.match(r.stderr, /refused to delete.*storage\.delete\.enabled/);
      const m = JSON.parse(
        skopeo('inspect', '--raw', '--tls-verify=false', `docker://${nodel.host}/site/packs/catalog:catalog`),
      ) as { layers: Array<{ digest: string }> };
      const yaml = await (
        await fetch(`http://${nodel.host}/v2/site/packs/catalog/blobs/${m.layers[0]?.digest}`)
      ).text();
      assert.ok(!yaml.includes(v1), 'dropped from the catalog');
      assert.ok(await manifestThere(`site/packs/${ID}`, v1, nodel.host), 'still in the registry');
    } finally {
      await nodel.stop();
    }
  });
});

describe('publish on a registry whose tag list misses tags', () => {
  test('tags/list answers 404 (distribution on an S3 that lists badly): the lock history still counts up, none is overwritten', async () => {
    const behind = await startRegistry();
    const noList = await startProxy({
      upstream: behind.host,
      respond: (req) =>
        req.method === 'GET' && /\/tags\/list/.test(req.url ?? '')
          ? {
              status: 404,
              headers: { 'content-type': 'application/json' },
              body: '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}',
            }
          : undefined,
    });
    try {
      const prefix = `${noList.host}/site/packs`;
      const s = await siteHome();
      await buildSigned(s, '1.0.0');
      const first = await publish(s, prefix);
      assert.equal(first.lock.reference, `${prefix}/catalog:catalog.lock.1`);
      const same = await publish(s, prefix);
      assert.equal(same.lock.unchanged, true, 'the newest lock, found without the list, says the same');
      assert.equal(same.lock.reference, first.lock.reference);
      await buildSigned(s, '1.1.0');
      const second = await publish(s, prefix);
      assert.equal(second.lock.unchanged, false);
      assert.equal(second.lock.reference, `${prefix}/catalog:catalog.lock.2`);
      const lock1 = JSON.parse(
        skopeo('inspect', '--raw', '--tls-verify=false', `docker://${behind.host}/site/packs/catalog:catalog.lock.1`),
      ) as { subject: { digest: string } };
      assert.equal(lock1.subject.digest, first.catalog.digest, 'lock 1 still locks the first catalog');
      assert.deepEqual(
        (await tagsOf('site/packs/catalog', behind.host)).filter((t) => t.includes('.lock.')),
        ['catalog.lock.1', 'catalog.lock.2'],
      );
    } finally {
      await noList.close();
      await behind.stop();
    }
  });
});

describe('publish --prune and attestations', () => {
  /** The manifests the referrers tag schema's index `sha256-<hex>` lists for `digest`: [digest, artifactType, predicate]. */
  async function fallbackEntries(host: string, repo: string, digest: string): Promise<string[][]> {
    const r = await fetch(`http://${host}/v2/${repo}/manifests/sha256-${digest.slice(7)}`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    if (r.status === 404) return [];
    const index = (await r.json()) as {
      manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }>;
    };
    return index.manifests.map((m) => [
      m.digest,
      m.artifactType ?? '',
      m.annotations?.['dev.sigstore.bundle.predicateType'] ?? '',
    ]);
  }

  test("a pruned pack's attestations (bundle referrers, legacy .att) go with it, and stay while a retained lock pins it", async () => {
    const reg = await startRegistry();
    try {
      const prefix = `${reg.host}/att/packs`;
      const repo = `att/packs/${ID}`;
      const s = await siteHome();
      const slsa = join(ROOT, 'catalog-spec', 'examples', 'slsa-provenance-v1.json');
      const v = new Map<string, string>();
      for (const version of ['1.0.0', '1.1.0']) {
        v.set(version, await buildSigned(s, version));
        for (const legacy of [[], ['--legacy']])
          await ok(
            [
              'attest',
              `${ID}:${version}`,
              '--predicate',
              slsa,
              '--type',
              'slsaprovenance1',
              '--key',
              join(upstream, 'cosign.key'),
              ...legacy,
            ],
            s,
          );
      }
      const [old, kept] = [v.get('1.0.0') ?? '', v.get('1.1.0') ?? ''];
      await publish(s, prefix);
      const attestations = async (d: string): Promise<string[]> =>
        (await fallbackEntries(reg.host, repo, d)).filter((e) => e[2] === SLSA1).map((e) => e[0] ?? '');
      const oldAtt = await attestations(old);
      assert.equal(oldAtt.length, 1, 'the bundle attestation is a referrer in the fallback index');
      assert.ok((await tagsOf(repo, reg.host)).includes(`sha256-${old.slice(7)}.att`), 'the legacy .att tag');
      const oldAttTag = await fetch(`http://${reg.host}/v2/${repo}/manifests/sha256-${old.slice(7)}.att`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const oldAttImage = oldAttTag.headers.get('docker-content-digest') ?? '';
      assert.match(oldAttImage, /^sha256:/);

      // 1.0.0 leaves the site's store: the catalog drops it, lock 1 still pins it, so it and its attestations stay
      await ok(['gc', '--keep-versions', '1', '--grace', '0'], s);
      const pinned = await publish(s, prefix, '--prune');
      assert.deepEqual(
        pinned.pruned?.pinned.map((p) => p.version),
        ['1.0.0'],
      );
      assert.deepEqual(await attestations(old), oldAtt);
      assert.ok(await manifestThere(repo, oldAtt[0] ?? '', reg.host));
      assert.ok(await manifestThere(repo, oldAttImage, reg.host));

      // lock 1 expires: 1.0.0 goes, and with it its referrers, its fallback index and its .att image; 1.1.0 keeps all
      const pruned = await publish(s, prefix, '--prune', '--keep-locks', '1');
      assert.deepEqual(
        pruned.pruned?.deleted.map((d) => d.version),
        ['1.0.0'],
      );
      const tags = await tagsOf(repo, reg.host);
      for (const gone of ['1.0.0', `sha256-${old.slice(7)}`, `sha256-${old.slice(7)}.att`])
        assert.ok(!tags.includes(gone), `${gone} is gone from ${tags.join(', ')}`);
      for (const d of [old, oldAttImage, ...oldAtt])
        assert.equal(await manifestThere(repo, d, reg.host), false, `${d} deleted`);
      assert.deepEqual(tags, ['1.1.0', `sha256-${kept.slice(7)}`, `sha256-${kept.slice(7)}.att`]);
      const keptAtt = await attestations(kept);
      assert.equal(keptAtt.length, 1);
      assert.ok(await manifestThere(repo, keptAtt[0] ?? '', reg.host));
      // a fresh node verifies the kept pack's attestations from the site registry
      const n = await siteHome();
      await ok(['pull', `${prefix}/${ID}:1.1.0`, '--plain-http'], n);
      const r = await json<{ verified: Array<{ format: string }> }>(
        [
          'verify-attestation',
          `${prefix}/${ID}:1.1.0`,
          '--type',
          'slsaprovenance1',
          '--key',
          join(upstream, 'cosign.pub'),
        ],
        n,
      );
      assert.deepEqual(r.verified.map((a) => a.format).sort(), ['bundle', 'legacy']);
    } finally {
      await reg.stop();
    }
  });
});
