import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copy, copyGraphs } from '../../src/content/copy.js';
import type { CopyEvent } from '../../src/content/events.js';
import { MemoryTarget } from '../../src/content/memory-target.js';
import { isScrydonError } from '../../src/errors.js';
import { parseGraphNode, successors } from '../../src/oci/manifest.js';
import { isGraphNodeType, MediaType } from '../../src/oci/media-types.js';
import { descriptorOf } from '../../src/oci/descriptor.js';
import { inRepository, legacyCompanions } from '../../src/signature/legacy-companions.js';
import { legacySignatureTag } from '../../src/names/store.js';
import { config, index, layer, manifest, referrer, seed, sharedGraph, type Node } from '../helpers/graph.js';
import { CommittingMemory, MountingMemory, TaggingMemory, TestMemory } from '../helpers/memory-targets.js';

/** Position of the first call `op` on `digest` in `t`'s log (-1 when none). */
function at(t: MemoryTarget, op: string, digest: string): number {
  return t.log.findIndex((c) => c.op === op && c.digest === digest);
}

/** Every manifest and index in `nodes` was pushed only after each of its children's pushes completed. */
function assertChildrenFirst(dst: MemoryTarget, nodes: readonly Node[]): void {
  for (const n of nodes) {
    if (!isGraphNodeType(n.d.mediaType)) continue;
    const parent = at(dst, 'push', n.d.digest);
    for (const c of successors(parseGraphNode(n.bytes, n.d.mediaType, 'test'))) {
      const child = at(dst, 'pushed', c.digest);
      if (child === -1) continue; // skipped: the destination had it
      assert.ok(parent === -1 || child < parent, `${n.d.digest} was pushed before its child ${c.digest} was in`);
    }
  }
}

/** Every tag comes after every push completed. */
function assertTagsLast(dst: MemoryTarget): void {
  const lastPushed = dst.log.map((c) => c.op).lastIndexOf('pushed');
  const firstTag = dst.log.findIndex((c) => c.op === 'tag' || c.op === 'pushTagged');
  assert.ok(firstTag > lastPushed, `a tag (call ${firstTag}) came before the last push completed (call ${lastPushed})`);
}

async function source(
  nodes: readonly Node[],
  o: ConstructorParameters<typeof TestMemory>[0] = {},
): Promise<TestMemory> {
  const src = new TestMemory({ name: 'src', ...o });
  await seed(src, nodes);
  src.log.length = 0;
  return src;
}

/** A chain `depth` indexes deep over one manifest. */
function deepChain(depth: number): { root: Node; all: Node[] } {
  const cfg = config('deep');
  const l = layer('deep layer');
  const leaf = manifest(cfg, [l]);
  const all: Node[] = [cfg, l, leaf];
  let top = leaf;
  for (let i = 0; i < depth; i++) {
    top = index([top]);
    all.push(top);
  }
  return { root: top, all };
}

// a deadlock would hang: the timeouts turn it into a failure
describe('copy: order', () => {
  test('children before parents, the tag last, whatever the concurrency', { timeout: 60_000 }, async () => {
    for (const concurrency of [1, 2, 4, 16]) {
      const g = sharedGraph();
      const src = await source(g.all);
      const dst = new TestMemory({ name: 'dst' });
      const r = await copy(src, g.root.d.digest, dst, { tags: ['v1', 'latest'], concurrency });
      assert.equal(r.root.digest, g.root.d.digest);
      assertChildrenFirst(dst, g.all);
      assertTagsLast(dst);
      assert.deepEqual(dst.calls('tag'), ['v1', 'latest']);
      assert.equal((await dst.resolve('v1')).digest, g.root.d.digest);
      assert.ok(dst.maxActive <= concurrency, `${dst.maxActive} pushes at once with concurrency ${concurrency}`);
    }
  });

  test(
    'a deep graph copies with one slot (a waiting parent gives its slot to its children)',
    { timeout: 60_000 },
    async () => {
      const g = deepChain(30);
      const src = await source(g.all);
      const dst = new TestMemory({ name: 'dst' });
      const r = await copy(src, g.root.d.digest, dst, { tags: ['deep'], concurrency: 1 });
      assert.equal(r.copied, 33);
      assertChildrenFirst(dst, g.all);
      assertTagsLast(dst);
    },
  );

  test("a destination's pushLimit caps pushes at once; commit comes after the tags", async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new CommittingMemory({ name: 'dst', pushLimit: 1 });
    await copy(src, g.root.d.digest, dst, { tags: ['v1'], concurrency: 8 });
    assert.equal(dst.maxActive, 1);
    assert.equal(dst.log.at(-1)?.op, 'commit');
    assert.equal(dst.log.at(-2)?.op, 'tag');
  });
});

describe('copy: sharing and skipping', () => {
  test('a shared subtree is copied once: each digest fetched and pushed once', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    const r = await copy(src, g.root.d.digest, dst, { tags: ['v1'] });
    assert.equal(r.copied, g.all.length);
    assert.equal(
      r.bytes,
      g.all.reduce((n, x) => n + x.d.size, 0),
    );
    for (const n of g.all) {
      assert.equal(
        src.calls('fetch').filter((x) => x === n.d.digest).length,
        1,
        `${n.d.digest} fetched more than once`,
      );
      assert.equal(dst.calls('push').filter((x) => x === n.d.digest).length, 1, `${n.d.digest} pushed more than once`);
    }
  });

  test('roots sharing a subtree in one copyGraphs: copied once, each root tagged', async () => {
    const cfg = config('c');
    const l = layer('l');
    const a = manifest(cfg, [l, layer('a')]);
    const b = manifest(cfg, [l, layer('b')]);
    const nodes = [cfg, l, layer('a'), layer('b'), a, b];
    const src = await source(nodes);
    const dst = new TestMemory({ name: 'dst' });
    const stats = await copyGraphs(src, dst, [
      { root: a.d, tags: ['a'] },
      { root: b.d, tags: ['b'] },
    ]);
    assert.equal(stats.copied, nodes.length);
    assert.equal(dst.calls('push').filter((x) => x === l.d.digest).length, 1);
    assert.deepEqual(dst.calls('tag'), ['a', 'b']);
    assertTagsLast(dst);
  });

  test('what the destination has is skipped with its whole subtree (even when the source reads locally)', async () => {
    for (const readsAreLocal of [false, true]) {
      const g = sharedGraph();
      const [cfg, common, a1, , ma] = g.all as [Node, Node, Node, Node, Node];
      const src = await source(g.all, { readsAreLocal });
      const dst = new TestMemory({ name: 'dst' });
      await seed(dst, [cfg, common, a1, ma]);
      dst.log.length = 0;
      const events: CopyEvent[] = [];
      const r = await copy(src, g.root.d.digest, dst, { tags: ['v1'], onEvent: (e) => events.push(e) });
      assert.equal(r.skipped, 3, 'ma, and the config and common layer that mb shares');
      assert.equal(r.copied, 3, 'b1, mb and the root');
      assert.equal(at(dst, 'exists', a1.d.digest), -1, 'a child of a manifest the destination has is not looked at');
      assert.equal(at(src, 'fetch', a1.d.digest), -1);
      assert.equal(at(dst, 'push', ma.d.digest), -1);
      assert.equal(events.filter((e) => e.type === 'skipped').length, 3);
      assert.equal(events.filter((e) => e.type === 'done').length, 3);
      assert.ok(events.some((e) => e.type === 'progress'));
    }
  });
});

describe('copy: failure', () => {
  test('the first failure stops the rest, is waited for, and is the error thrown; nothing is tagged', async () => {
    const cfg = config('f');
    const layers = [1, 2, 3, 4, 5, 6].map((i) => layer(`layer ${i}`));
    const m = manifest(cfg, layers);
    const [bad, ...others] = layers as [Node, ...Node[]];
    const src = await source([cfg, ...layers, m]);
    src.damage(bad.d.digest);
    const dst = new TestMemory({ name: 'dst' });
    for (const n of [cfg, ...others]) dst.held.add(n.d.digest);
    let activeAtThrow = -1;
    const err = await copy(src, m.d.digest, dst, { tags: ['v1'], concurrency: 4 }).then(
      () => assert.fail('the copy of a damaged blob succeeded'),
      (e: unknown) => {
        activeAtThrow = dst.active;
        return e;
      },
    );
    assert.ok(isScrydonError(err, 'digest_mismatch'), `thrown: ${String(err)}`);
    assert.equal(activeAtThrow, 0, 'every transfer had ended when the error was thrown');
    assert.ok(dst.aborted.length > 0, 'the transfers running were aborted');
    // concurrency 4: the manifest's slot went to its children, 4 of which started; the 3 waiting never did
    assert.equal(dst.calls('exists').length, 1 + 4);
    assert.equal(dst.calls('pushed').length, 0);
    assert.deepEqual(dst.calls('tag'), []);
  });

  test('a failure at tagging time leaves the later tags unwritten and no commit', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    // the destination refuses the second tag
    const refusing = new (class extends CommittingMemory {
      override async tag(d: Node['d'], ref: string): Promise<void> {
        if (ref === 'second') {
          this.record('tag', { ref });
          throw new Error('tag refused');
        }
        await super.tag(d, ref);
      }
    })({ name: 'dst2' });
    await assert.rejects(copy(src, g.root.d.digest, refusing, { tags: ['first', 'second', 'third'] }), /tag refused/);
    assert.deepEqual(refusing.calls('tag'), ['first', 'second']);
    assert.equal(refusing.count('commit'), 0);
  });

  test("the caller's abort stops the copy: `aborted`, nothing tagged", async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    for (const n of g.all) dst.held.add(n.d.digest);
    const ac = new AbortController();
    const running = copy(src, g.root.d.digest, dst, { tags: ['v1'], signal: ac.signal });
    while (dst.count('push') === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(running, (e: unknown) => isScrydonError(e, 'aborted'));
    assert.equal(dst.active, 0);
    assert.deepEqual(dst.calls('tag'), []);
  });

  test('a graph over a walk limit stops at the limit with nothing tagged', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    await assert.rejects(copy(src, g.root.d.digest, dst, { tags: ['v1'], walkLimits: { blobs: 2 } }), (e: unknown) =>
      isScrydonError(e, 'size_limit_exceeded'),
    );
    assert.deepEqual(dst.calls('tag'), []);
    assert.equal(await dst.exists(g.root.d), false);
  });

  test('a destination that checks digests gets only size-checked bytes, and refuses damaged ones', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const [, common] = g.shared as [Node, Node];
    src.damage(common.d.digest);
    const dst = new TestMemory({ name: 'dst', verifiesDigests: true });
    await assert.rejects(copy(src, g.root.d.digest, dst, { tags: ['v1'] }), (e: unknown) =>
      isScrydonError(e, 'digest_mismatch'),
    );
    assert.equal(await dst.exists(common.d), false);
    assert.deepEqual(dst.calls('tag'), []);
  });
});

describe('copy: referrers and companions', () => {
  function signed(): { m: Node; sig: Node; sigOfSig: Node; all: Node[] } {
    const cfg = config('signed');
    const l = layer('signed layer');
    const m = manifest(cfg, [l]);
    const s1 = referrer(m, 'one');
    const s2 = referrer(s1.manifest, 'two');
    return {
      m,
      sig: s1.manifest,
      sigOfSig: s2.manifest,
      all: [cfg, l, m, ...s1.parts, s1.manifest, ...s2.parts, s2.manifest],
    };
  }

  test('referrers, and their referrers, travel after what they refer to, before the tag', async () => {
    const g = signed();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    const r = await copy(src, g.m.d.digest, dst, { tags: ['v1'], includeReferrers: true });
    assert.equal(r.referrers, 2);
    assert.equal(r.copied, g.all.length);
    assert.ok(
      at(dst, 'pushed', g.m.d.digest) < at(dst, 'push', g.sig.d.digest),
      'a signature lands after what it signs',
    );
    assert.ok(at(dst, 'pushed', g.sig.d.digest) < at(dst, 'push', g.sigOfSig.d.digest));
    assertChildrenFirst(dst, g.all);
    assertTagsLast(dst);
    assert.deepEqual(
      (await dst.referrers(g.m.d)).map((d) => d.digest),
      [g.sig.d.digest],
    );
  });

  test('without includeReferrers none are looked up or copied', async () => {
    const g = signed();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    const r = await copy(src, g.m.d.digest, dst, { tags: ['v1'] });
    assert.equal(r.referrers, 0);
    assert.equal(src.count('referrers'), 0);
    assert.equal(await dst.exists(g.sig.d), false);
  });

  test('referrers deeper than the referrer-depth limit stop the copy; nothing is tagged', async () => {
    const g = signed();
    const src = await source(g.all);
    const dst = new TestMemory({ name: 'dst' });
    await assert.rejects(
      copy(src, g.m.d.digest, dst, { tags: ['v1'], includeReferrers: true, walkLimits: { referrerDepth: 1 } }),
      (e: unknown) => isScrydonError(e, 'size_limit_exceeded'),
    );
    assert.deepEqual(dst.calls('tag'), []);
  });

  test('legacy companions are copied with the same walk and tagged before the root', async () => {
    const cfg = config('comp');
    const m = manifest(cfg, [layer('comp layer')]);
    const sigLayer = layer('legacy sig');
    const legacy = manifest(config('legacy cfg'), [sigLayer]);
    const nodes = [cfg, layer('comp layer'), m, config('legacy cfg'), sigLayer, legacy];
    const src = await source(nodes);
    const dst = new TestMemory({ name: 'dst' });
    const asked: string[] = [];
    const r = await copy(src, m.d.digest, dst, {
      tags: ['v1'],
      companions: async (n) => {
        asked.push(n.digest);
        return n.digest === m.d.digest ? [{ root: legacy.d, tags: ['sha256-x.sig'] }] : [];
      },
    });
    assert.equal(r.referrers, 1);
    assert.ok(
      asked.includes(m.d.digest) && asked.includes(legacy.d.digest),
      'each manifest of the walk is asked, companions too',
    );
    assert.deepEqual(dst.calls('tag'), ['sha256-x.sig', 'v1']);
    assert.equal((await dst.resolve('sha256-x.sig')).digest, legacy.d.digest);
    assert.ok(
      at(dst, 'pushed', m.d.digest) < at(dst, 'push', legacy.d.digest),
      'a companion lands after what it signs',
    );
    assertTagsLast(dst);
  });
});

describe('copy: legacy companions from a repository', () => {
  test("cosign's sha256-<hex>.sig tag travels under the same tag; a .sig tag holding something else does not", async () => {
    const signedCfg = config('legacy signed');
    const signedLayer = layer('legacy signed layer');
    const m = manifest(signedCfg, [signedLayer]);
    const payload = Buffer.from('{"critical":{}}');
    const sigLayer: Node = { d: descriptorOf(MediaType.cosignSimpleSigning, payload), bytes: payload };
    const sigCfg = config('sig config');
    const sig = manifest(sigCfg, [sigLayer]);
    // a second manifest whose .sig tag names a pack, not a signature
    const other = manifest(signedCfg, [layer('other layer')]);
    const src = await source([signedCfg, signedLayer, m, sigCfg, sigLayer, sig, layer('other layer'), other]);
    await src.tag(sig.d, legacySignatureTag(m.d.digest));
    await src.tag(m.d, legacySignatureTag(other.d.digest));
    const companions = legacyCompanions(inRepository(src), { kind: 'repository' });

    const dst = new TestMemory({ name: 'dst' });
    const r = await copy(src, m.d.digest, dst, { tags: ['v1'], companions });
    assert.equal(r.referrers, 1);
    assert.deepEqual(dst.calls('tag'), [legacySignatureTag(m.d.digest), 'v1']);
    assert.equal((await dst.resolve(legacySignatureTag(m.d.digest))).digest, sig.d.digest);
    assertTagsLast(dst);

    const dst2 = new TestMemory({ name: 'dst2' });
    const r2 = await copy(src, other.d.digest, dst2, { tags: ['v1'], companions });
    assert.equal(r2.referrers, 0);
    assert.deepEqual(dst2.calls('tag'), ['v1']);
  });
});

describe('copy: destination capabilities', () => {
  test('each blob is offered to a Mounter before it is uploaded; manifests never are', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const other = new MemoryTarget({ name: 'other' });
    await seed(other, g.shared);
    const dst = new MountingMemory(new Map([['other', other]]), { name: 'dst' });
    const r = await copy(src, g.root.d.digest, dst, { tags: ['v1'], mountFrom: 'other' });
    assert.equal(r.mounted, g.shared.length);
    for (const n of g.all) {
      if (isGraphNodeType(n.d.mediaType)) assert.equal(at(dst, 'mount', n.d.digest), -1);
      else assert.ok(at(dst, 'mount', n.d.digest) !== -1, `${n.d.digest} was not offered to mount`);
    }
    for (const n of g.shared)
      assert.equal(at(src, 'fetch', n.d.digest), -1, 'a mounted blob is not read from the source');
    const [, , a1] = g.all as [Node, Node, Node];
    assert.ok(at(dst, 'mount', a1.d.digest) < at(dst, 'push', a1.d.digest), 'offered to mount first, then uploaded');
    assert.equal(await dst.exists(a1.d), true);
  });

  test('no mount is offered without mountFrom', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new MountingMemory(new Map(), { name: 'dst' });
    const r = await copy(src, g.root.d.digest, dst, { tags: ['v1'] });
    assert.equal(r.mounted, 0);
    assert.equal(dst.count('mount'), 0);
  });

  test('a lone root goes to a TaggingPusher with its first tag, last; the other tags are plain', async () => {
    const g = sharedGraph();
    const src = await source(g.all);
    const dst = new TaggingMemory({ name: 'dst' });
    await copy(src, g.root.d.digest, dst, { tags: ['v1', 'v2'] });
    assert.deepEqual(dst.calls('pushTagged'), [g.root.d.digest]);
    assert.equal(
      at(dst, 'push', g.root.d.digest) > at(dst, 'pushTagged', g.root.d.digest),
      true,
      'the root is not pushed before its tag',
    );
    assert.deepEqual(dst.calls('tag'), ['v1', 'v2']); // v1 by pushTagged itself, v2 plain
    assert.equal((await dst.resolve('v2')).digest, g.root.d.digest);
  });

  test('a root that referrers follow is pushed first and tagged plainly', async () => {
    const cfg = config('r');
    const m = manifest(cfg, [layer('r layer')]);
    const sig = referrer(m, 'r');
    const src = await source([cfg, layer('r layer'), m, ...sig.parts, sig.manifest]);
    const dst = new TaggingMemory({ name: 'dst' });
    await copy(src, m.d.digest, dst, { tags: ['v1'], includeReferrers: true });
    assert.equal(dst.count('pushTagged'), 0);
    assert.ok(at(dst, 'pushed', m.d.digest) < at(dst, 'push', sig.manifest.d.digest));
    assert.deepEqual(dst.calls('tag'), ['v1']);
  });
});
