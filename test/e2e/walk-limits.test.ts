import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { blobName, tarBytes, type RawEntry } from '../helpers/make-archive.js';
import {
  EMPTY_DESC,
  EMPTY_JSON,
  LazyGraph,
  manifestOf,
  measuredRun,
  OCI_INDEX,
  OCI_MANIFEST,
  referrerBuilder,
  sha256,
  startHostileRegistry,
  type Desc,
  type HostileGraph,
  type HostileRegistry,
  type Measured,
} from '../helpers/hostile-registry.js';

/**
 * What a hostile registry (or archive) can make scrydon walk and hold: endless referrer graphs, referrer lists
 * and chains, indexes too wide or too deep, manifests too large in sum, blobs without number, tag lists without
 * end, archives listing tens of thousands of manifests. Each is refused
 * with size_limit_exceeded naming the limit and the variable that raises it, the CLI's peak RSS (VmHWM, via
 * /usr/bin/time) stays under 150 MiB and the store is untouched. Every run is bounded from outside (killed past
 * 60 s or 400 MiB), so an unbounded walk fails the test instead of hanging it. Each run's time to fail and
 * peak RSS are printed as `# LIMIT: …` lines.
 */

const MiB = 1024;
const LIST_TAGS = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'list-tags.js');
const RSS_BOUND_KIB = 150 * MiB;
const closers: Array<() => Promise<void>> = [];

after(async () => {
  for (const c of closers) await c();
  await cleanupTemps();
});

async function serve(graph: HostileGraph): Promise<HostileRegistry> {
  const r = await startHostileRegistry(graph);
  closers.push(() => r.close());
  return r;
}

/** A store with one pack in it, so "untouched" compares something. */
async function home(): Promise<string> {
  const h = await tempDir();
  await ok(['build', 'fixtures/packs/acme-core'], { home: h });
  return h;
}

/**
 * Pulls `host/hostile/graph:1` (or runs the CLI, or `script`, with `args`), bounded; asserts the refusal naming
 * `limitVar`, the bound on memory, and an untouched store.
 */
async function refused(
  host: string,
  limitVar: string,
  env: NodeJS.ProcessEnv = {},
  run?: { script?: string; args: string[] },
): Promise<Measured> {
  const h = await home();
  const before = await treeHash(h);
  const args = run?.args ?? ['pull', `${host}/hostile/graph:1`, '--plain-http'];
  const r = await measuredRun(args, {
    home: h,
    env,
    timeoutMs: 60_000,
    rssCapKiB: 400 * MiB,
    ...(run?.script ? { script: run.script } : {}),
  });
  // the figures the issue asks for, in the test log
  console.log(
    `# ${limitVar}: exit ${r.code} after ${r.ms} ms, peak RSS ${Math.round(r.peakKiB / 1024)} MiB${r.killed ? ` (killed: ${r.killed})` : ''}`,
  );
  assert.equal(r.killed, undefined, `the pull stops by itself (it was killed: ${r.killed}, peak ${r.peakKiB} KiB)`);
  expectError(r, 'size_limit_exceeded');
  assert.doesNotMatch(r.stderr, /Warning/, 'a refusal is its error line and hint, with no Node warning beside it');
  assert.match(r.stderr, new RegExp(`limit ${limitVar}=\\d+`), 'the message names the limit');
  assert.match(r.stderr, new RegExp(`hint: .*${limitVar}=\\d+`), 'the hint says how to raise it');
  assert.ok(r.peakKiB <= RSS_BOUND_KIB, `peak RSS ${r.peakKiB} KiB is within 150 MiB`);
  assert.equal(await treeHash(h), before, 'the store is untouched');
  return r;
}

/** The root every graph starts from: an empty pack-shaped manifest tagged `1`. */
function addRoot(g: LazyGraph): Desc {
  return g.add(
    'root',
    OCI_MANIFEST,
    () => manifestOf({ config: EMPTY_DESC, layers: [], annotations: { id: 'root' } }).bytes,
    '1',
  );
}

/** A registry serving `g`, where every manifest's referrers are `referrersOf(its key, its descriptor)` (one page). */
function referrerGraph(g: LazyGraph, referrersOf: (key: string, subject: Desc) => Desc[]): HostileGraph {
  return {
    content: (ref) => g.content(ref),
    referrers: (digest) => {
      const key = g.keyOf(digest);
      const c = g.content(digest);
      if (key === undefined || !c) return { items: [], more: false };
      return { items: referrersOf(key, { mediaType: c.mediaType, digest, size: c.bytes.byteLength }), more: false };
    },
  };
}

/** A referrer of `subject` registered in `g` under `key`, padded to about `pad` bytes. */
function referrer(g: LazyGraph, subject: Desc, key: string, pad = 0): Desc {
  return {
    ...g.add(key, OCI_MANIFEST, referrerBuilder(subject, key, pad)),
    artifactType: 'application/vnd.test.hostile',
  };
}

/** A digest nothing serves (listed, never fetched). */
function phantom(i: number): Desc {
  return {
    mediaType: OCI_MANIFEST,
    digest: sha256(Buffer.from(`phantom ${i}`)),
    size: 300,
    artifactType: 'application/vnd.test.hostile',
  };
}

describe('referrer graphs', () => {
  test('the issue: a nested referrer graph (16 referrers on every manifest, without end) stops at the manifest limit', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve(
      referrerGraph(g, (key, s) => Array.from({ length: 16 }, (_, i) => referrer(g, s, `${key}.${i}`, 16 * 1024))),
    );
    await refused(reg.host, 'SCRYDON_MAX_MANIFESTS');
  });

  test('a chain of referrers of referrers without end stops at the depth limit', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve(referrerGraph(g, (key, s) => [referrer(g, s, `${key}.0`)]));
    await refused(reg.host, 'SCRYDON_MAX_REFERRER_DEPTH');
  });
});

describe('referrer lists', () => {
  test('20,000 referrers of one manifest on one page: refused at the referrers limit, none fetched', async () => {
    const g = new LazyGraph();
    const root = addRoot(g);
    const many = Array.from({ length: 20_000 }, (_, i) => phantom(i));
    const reg = await serve({
      content: (ref) => g.content(ref),
      referrers: (d) => ({ items: d === root.digest ? many : [], more: false }),
    });
    await refused(reg.host, 'SCRYDON_MAX_REFERRERS');
    assert.equal(reg.counts.referrers, 1, 'one page was read');
    assert.ok(!many.some((c) => reg.asked.has(c.digest)), 'none of the referrers was asked for');
  });

  test('a registry without the referrers API whose sha256-<hex> index lists 5,000 referrers: refused at the referrers limit', async () => {
    const g = new LazyGraph();
    const root = addRoot(g);
    const many = Array.from({ length: 5_000 }, (_, i) => phantom(i));
    const fallback = manifestOf({ manifests: many }, OCI_INDEX).bytes;
    g.add('fallback', OCI_INDEX, () => fallback, `sha256-${root.digest.slice(7)}`);
    const reg = await serve({ content: (ref) => g.content(ref) }); // no referrers API: 404
    await refused(reg.host, 'SCRYDON_MAX_REFERRERS');
    assert.ok(!many.some((c) => reg.asked.has(c.digest)), 'none of the referrers was asked for');
  });

  test('referrer pages without end (each empty, each pointing at the next): refused at the page limit', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve({ content: (ref) => g.content(ref), referrers: () => ({ items: [], more: true }) });
    await refused(reg.host, 'SCRYDON_MAX_LIST_PAGES', { SCRYDON_MAX_LIST_PAGES: '200' });
    assert.equal(reg.counts.referrers, 200);
  });

  test('referrer pages of 1 MiB each (one referrer with huge annotations a page): refused by the bytes the referrers limit allows', async () => {
    const g = new LazyGraph();
    const root = addRoot(g);
    const fat = (i: number): Desc => ({ ...phantom(i), annotations: { pad: 'x'.repeat(1024 * 1024) } });
    const reg = await serve({
      content: (ref) => g.content(ref),
      referrers: (d, page) => ({ items: d === root.digest ? [fat(page)] : [], more: d === root.digest }),
    });
    const r = await refused(reg.host, 'SCRYDON_MAX_REFERRERS');
    assert.match(r.stderr, /over 4194304 bytes/);
  });

  test('inspect --remote and verify --remote are held to the same referrers limit', async () => {
    const g = new LazyGraph();
    const root = addRoot(g);
    const many = Array.from({ length: 20_000 }, (_, i) => phantom(i));
    const reg = await serve({
      content: (ref) => g.content(ref),
      referrers: (d) => ({ items: d === root.digest ? many : [], more: false }),
    });
    const h = await home();
    const ins = expectError(
      await scrydon(['inspect', `${reg.host}/hostile/graph:1`, '--remote', '--plain-http'], { home: h }),
      'size_limit_exceeded',
    );
    assert.match(ins.stderr, /SCRYDON_MAX_REFERRERS=1000/);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = join(h, 'cosign.pub');
    await writeFile(key, publicKey.export({ type: 'spki', format: 'pem' }));
    const ver = expectError(
      await scrydon(['verify', `${reg.host}/hostile/graph:1`, '--remote', '--plain-http', '--key', key], { home: h }),
      'size_limit_exceeded',
    );
    assert.match(ver.stderr, /SCRYDON_MAX_REFERRERS=1000/);
  });

  test('raising the limit lets a trusted list through; a value that is not a number is a usage error', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve(
      referrerGraph(g, (key, s) =>
        key === 'root' ? Array.from({ length: 12 }, (_, i) => referrer(g, s, `sig${i}`)) : [],
      ),
    );
    const h = await home();
    await refused(reg.host, 'SCRYDON_MAX_REFERRERS', { SCRYDON_MAX_REFERRERS: '10' });
    const pulled = await json<{ referrers: number }>(['pull', `${reg.host}/hostile/graph:1`, '--plain-http'], {
      home: h,
      env: { SCRYDON_MAX_REFERRERS: '20' },
    });
    assert.equal(pulled.referrers, 12);
    const bad = expectError(
      await scrydon(['pull', `${reg.host}/hostile/graph:1`, '--plain-http'], {
        home: h,
        env: { SCRYDON_MAX_REFERRERS: 'lots' },
      }),
      'usage',
      2,
    );
    assert.match(bad.stderr, /SCRYDON_MAX_REFERRERS/);
  });
});

describe('indexes and manifests', () => {
  test('an index of 5,000 manifests: refused at the fan-out limit before any is fetched', async () => {
    const g = new LazyGraph();
    const children = Array.from({ length: 5000 }, (_, i) => phantom(i));
    g.add('root', OCI_INDEX, () => manifestOf({ manifests: children }, OCI_INDEX).bytes, '1');
    const reg = await serve({ content: (ref) => g.content(ref) });
    await refused(reg.host, 'SCRYDON_MAX_FANOUT');
    assert.ok(!children.some((c) => reg.asked.has(c.digest)), 'none of the manifests it lists was asked for');
  });

  test('an index of 24 indexes of 24 indexes of 24 manifests (14,425 in all): stops at the manifest limit', async () => {
    const g = new LazyGraph();
    const level = (key: string, depth: number): Desc => {
      if (depth === 3) {
        const leaf = manifestOf({ config: EMPTY_DESC, layers: [], annotations: { id: key } }).bytes;
        return g.add(key, OCI_MANIFEST, () => leaf);
      }
      const bytes = manifestOf(
        { manifests: Array.from({ length: 24 }, (_, i) => level(`${key}.${i}`, depth + 1)) },
        OCI_INDEX,
      ).bytes;
      return g.add(key, OCI_INDEX, () => bytes, depth === 0 ? '1' : undefined);
    };
    level('root', 0);
    const reg = await serve({ content: (ref) => g.content(ref) });
    await refused(reg.host, 'SCRYDON_MAX_MANIFESTS');
  });

  test('referrers of 3.9 MiB each: stops at the manifest bytes limit', async () => {
    const g = new LazyGraph();
    const root = addRoot(g);
    // built once: a 3.9 MiB referrer made again for every request would slow this process, not scrydon
    const big = Array.from({ length: 40 }, (_, i) => {
      const bytes = referrerBuilder(root, `big${i}`, 3900 * 1024)();
      return { ...g.add(`big${i}`, OCI_MANIFEST, () => bytes), artifactType: 'application/vnd.test.hostile' };
    });
    const reg = await serve(referrerGraph(g, (key) => (key === 'root' ? big : [])));
    await refused(reg.host, 'SCRYDON_MAX_MANIFEST_BYTES');
  });

  test('an index of 100 manifests of 999 layers each, all different: stops at the blob limit', async () => {
    const g = new LazyGraph();
    const manifests = Array.from({ length: 100 }, (_, m) => {
      const bytes = manifestOf({
        config: EMPTY_DESC,
        layers: Array.from({ length: 999 }, (_, i) => g.blob(Buffer.from(`layer ${m}.${i}`))),
      }).bytes;
      return g.add(`m${m}`, OCI_MANIFEST, () => bytes);
    });
    const index = manifestOf({ manifests }, OCI_INDEX).bytes;
    g.add('root', OCI_INDEX, () => index, '1');
    const reg = await serve({ content: (ref) => g.content(ref) });
    await refused(reg.host, 'SCRYDON_MAX_BLOBS');
  });
});

describe("tag lists (no command lists a registry's tags: the registry client, in a process of its own)", () => {
  const listTags = (host: string, limits: Record<string, number> = {}): { script: string; args: string[] } => ({
    script: LIST_TAGS,
    args: [`${host}/hostile/graph`, JSON.stringify(limits)],
  });

  test('tag pages without end (each empty, each pointing at the next): refused at the page limit', async () => {
    const reg = await serve({ content: () => undefined, tags: () => ({ items: [], more: true }) });
    await refused(reg.host, 'SCRYDON_MAX_LIST_PAGES', {}, listTags(reg.host));
    assert.equal(reg.counts.tags, 1000);
  });

  test('pages of 20,000 tags without end: refused at the tag limit', async () => {
    const reg = await serve({
      content: () => undefined,
      tags: (page) => ({
        items: Array.from({ length: 20_000 }, (_, i) => `t${page}-${i}-${'x'.repeat(100)}`),
        more: true,
      }),
    });
    await refused(reg.host, 'SCRYDON_MAX_TAGS', {}, listTags(reg.host));
    assert.equal(reg.counts.tags, 6, '100,000 tags is five pages; the sixth goes over');
  });

  test('a tag list that ends is read whole; one listing something that is not a tag is registry_error', async () => {
    const fine = await serve({
      content: () => undefined,
      tags: (page) => ({ items: Array.from({ length: 1000 }, (_, i) => `v${page}.${i}`), more: page < 2 }),
    });
    const h = await home();
    const r = await measuredRun(listTags(fine.host).args, {
      home: h,
      script: LIST_TAGS,
      timeoutMs: 60_000,
      rssCapKiB: 400 * MiB,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { tags: 3000 });
    const bad = await serve({ content: () => undefined, tags: () => ({ items: ['ok', '../../etc'], more: false }) });
    const b = await measuredRun(listTags(bad.host).args, {
      home: h,
      script: LIST_TAGS,
      timeoutMs: 60_000,
      rssCapKiB: 400 * MiB,
    });
    expectError(b, 'registry_error');
  });
});

describe('archives', () => {
  /** An archive whose index.json lists a root and `n` more small manifests: tagged, or referrers of the root (untagged, unmarked). */
  async function bigArchive(n: number, kind: 'tagged' | 'referrers'): Promise<string> {
    const entries: RawEntry[] = [
      { name: 'blobs/', type: '5' },
      { name: 'blobs/sha256/', type: '5' },
      { name: blobName(EMPTY_DESC.digest), data: EMPTY_JSON },
    ];
    const root = manifestOf({ config: EMPTY_DESC, layers: [], annotations: { id: 'root' } });
    const index: Desc[] = [{ ...root.desc, annotations: { 'org.opencontainers.image.ref.name': 'hostile:root' } }];
    entries.push({ name: blobName(root.desc.digest), data: root.bytes });
    for (let i = 0; i < n; i++) {
      const m = manifestOf({
        config: EMPTY_DESC,
        layers: [],
        ...(kind === 'referrers' ? { subject: root.desc } : {}),
        annotations: { id: String(i) },
      });
      entries.push({ name: blobName(m.desc.digest), data: m.bytes });
      index.push(
        kind === 'tagged'
          ? { ...m.desc, annotations: { 'org.opencontainers.image.ref.name': `hostile:t${i}` } }
          : m.desc,
      );
    }
    entries.push(
      { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { name: 'index.json', data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: index })) },
    );
    const file = `${await tempDir()}/hostile.tar`;
    await writeFile(file, tarBytes(entries));
    return file;
  }

  test('load of an archive listing 30,000 tagged manifests: refused at the manifest limit before anything is copied', async () => {
    await refused('', 'SCRYDON_MAX_MANIFESTS', {}, { args: ['load', '-i', await bigArchive(30_000, 'tagged')] });
  });

  test('load of an archive listing 5,000 referrers of one manifest (untagged, unmarked): refused at the referrers limit', async () => {
    await refused('', 'SCRYDON_MAX_REFERRERS', {}, { args: ['load', '-i', await bigArchive(5_000, 'referrers')] });
  });
});
