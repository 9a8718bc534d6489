import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { EMPTY_DESC, LazyGraph, manifestOf, measuredRun, OCI_INDEX, OCI_MANIFEST, referrerBuilder, sha256, startHostileRegistry, type Desc, type HostileGraph, type HostileRegistry, type Measured } from '../helpers/hostile-registry.js';

/**
 * What a hostile registry can make `pull` walk and hold: endless referrer graphs, referrer lists and chains,
 * indexes too wide or nested without end, manifests too large in sum, blobs without number. Each is refused
 * with size_limit_exceeded naming the limit and the variable that raises it, the CLI's peak RSS (VmHWM, via
 * /usr/bin/time) stays under 150 MiB and the store is untouched. Every run is bounded from outside (killed past
 * 60 s or 400 MiB), so an unbounded walk fails the test instead of hanging it. Each run's time to fail and
 * peak RSS are printed as `# LIMIT: …` lines.
 */

const MiB = 1024;
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

/** Pulls `host/hostile/graph:1`, bounded; asserts the refusal naming `limitVar`, the bound on memory, and an untouched store. */
async function refused(host: string, limitVar: string, env: NodeJS.ProcessEnv = {}): Promise<Measured> {
  const h = await home();
  const before = await treeHash(h);
  const r = await measuredRun(['pull', `${host}/hostile/graph:1`, '--plain-http'], { home: h, env, timeoutMs: 60_000, rssCapKiB: 400 * MiB });
  // the figures the issue asks for, in the test log
  console.log(`# ${limitVar}: exit ${r.code} after ${r.ms} ms, peak RSS ${Math.round(r.peakKiB / 1024)} MiB${r.killed ? ` (killed: ${r.killed})` : ''}`);
  assert.equal(r.killed, undefined, `the pull stops by itself (it was killed: ${r.killed}, peak ${r.peakKiB} KiB)`);
  expectError(r, 'size_limit_exceeded');
  assert.match(r.stderr, new RegExp(`limit ${limitVar}=\\d+`), 'the message names the limit');
  assert.match(r.stderr, new RegExp(`hint: .*${limitVar}=\\d+`), 'the hint says how to raise it');
  assert.ok(r.peakKiB <= RSS_BOUND_KIB, `peak RSS ${r.peakKiB} KiB is within 150 MiB`);
  assert.equal(await treeHash(h), before, 'the store is untouched');
  return r;
}

/** The root every graph starts from: an empty pack-shaped manifest tagged `1`. */
function addRoot(g: LazyGraph): Desc {
  return g.add('root', OCI_MANIFEST, () => manifestOf({ config: EMPTY_DESC, layers: [], annotations: { id: 'root' } }).bytes, '1');
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
  return { ...g.add(key, OCI_MANIFEST, referrerBuilder(subject, key, pad)), artifactType: 'application/vnd.test.hostile' };
}

/** A digest nothing serves (listed, never fetched). */
function phantom(i: number): Desc {
  return { mediaType: OCI_MANIFEST, digest: sha256(Buffer.from(`phantom ${i}`)), size: 300, artifactType: 'application/vnd.test.hostile' };
}

describe('referrer graphs', () => {
  test('the issue: a nested referrer graph (16 referrers on every manifest, without end) stops at the manifest limit', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve(referrerGraph(g, (key, s) => Array.from({ length: 16 }, (_, i) => referrer(g, s, `${key}.${i}`, 16 * 1024))));
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
    const reg = await serve({ content: (ref) => g.content(ref), referrers: (d) => ({ items: d === root.digest ? many : [], more: false }) });
    await refused(reg.host, 'SCRYDON_MAX_REFERRERS');
    assert.equal(reg.counts.referrers, 1, 'one page was read');
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
    const reg = await serve({ content: (ref) => g.content(ref), referrers: (d, page) => ({ items: d === root.digest ? [fat(page)] : [], more: d === root.digest }) });
    const r = await refused(reg.host, 'SCRYDON_MAX_REFERRERS');
    assert.match(r.stderr, /over 4194304 bytes/);
  });

  test('raising the limit lets a trusted list through; a value that is not a number is a usage error', async () => {
    const g = new LazyGraph();
    addRoot(g);
    const reg = await serve(referrerGraph(g, (key, s) => (key === 'root' ? Array.from({ length: 12 }, (_, i) => referrer(g, s, `sig${i}`)) : [])));
    const h = await home();
    await refused(reg.host, 'SCRYDON_MAX_REFERRERS', { SCRYDON_MAX_REFERRERS: '10' });
    const pulled = await json<{ referrers: number }>(['pull', `${reg.host}/hostile/graph:1`, '--plain-http'], { home: h, env: { SCRYDON_MAX_REFERRERS: '20' } });
    assert.equal(pulled.referrers, 12);
    const bad = expectError(await scrydon(['pull', `${reg.host}/hostile/graph:1`, '--plain-http'], { home: h, env: { SCRYDON_MAX_REFERRERS: 'lots' } }), 'usage', 2);
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
      const bytes = manifestOf({ manifests: Array.from({ length: 24 }, (_, i) => level(`${key}.${i}`, depth + 1)) }, OCI_INDEX).bytes;
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
      const bytes = manifestOf({ config: EMPTY_DESC, layers: Array.from({ length: 999 }, (_, i) => g.blob(Buffer.from(`layer ${m}.${i}`))) }).bytes;
      return g.add(`m${m}`, OCI_MANIFEST, () => bytes);
    });
    const index = manifestOf({ manifests }, OCI_INDEX).bytes;
    g.add('root', OCI_INDEX, () => index, '1');
    const reg = await serve({ content: (ref) => g.content(ref) });
    await refused(reg.host, 'SCRYDON_MAX_BLOBS');
  });
});
