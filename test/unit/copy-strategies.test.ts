import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { copy, copyGraphs } from '../../src/content/copy.js';
import type { FetchOptions, IoOptions } from '../../src/content/target.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { isGraphNodeType } from '../../src/oci/media-types.js';
import { config, layer, manifest, referrer, seed, sharedGraph, type Node } from '../helpers/graph.js';
import { TaggingMemory, TestMemory } from '../helpers/memory-targets.js';

/** A source that records, per fetch, whether only the size was to be checked. */
class RecordingSource extends TestMemory {
  readonly sizeOnly = new Map<string, boolean>();
  override async fetch(d: Descriptor, o: FetchOptions = {}): Promise<Readable> {
    this.sizeOnly.set(d.digest, o.sizeOnly === true);
    return super.fetch(d, o);
  }
}

/** A destination whose exists() of `gated` waits until open() (the walk's question left pending). */
class GatedDestination extends TestMemory {
  gated = '';
  #open: () => void = () => undefined;
  readonly #opened = new Promise<void>((r) => (this.#open = r));
  /** Settles when exists() of `gated` is waiting. */
  readonly asked: Promise<void>;
  #asked: () => void = () => undefined;
  constructor(name: string) {
    super({ name });
    this.asked = new Promise<void>((r) => (this.#asked = r));
  }
  open(): void {
    this.#open();
  }
  override async exists(d: Descriptor, o: IoOptions = {}): Promise<boolean> {
    if (d.digest === this.gated) {
      this.#asked();
      await this.#opened;
    }
    return super.exists(d, o);
  }
}

async function source<T extends TestMemory>(t: T, nodes: readonly Node[]): Promise<T> {
  await seed(t, nodes);
  t.log.length = 0;
  return t;
}

describe('copy strategy: early local read', () => {
  test("a local source's manifest is read while the destination is still asked whether it has it", async () => {
    for (const readsAreLocal of [true, false]) {
      const g = sharedGraph();
      const src = await source(new TestMemory({ name: 'src', readsAreLocal }), g.all);
      const dst = new GatedDestination('dst');
      dst.gated = g.root.d.digest;
      const running = copy(src, g.root.d.digest, dst, { tags: ['v1'] });
      await dst.asked;
      await new Promise((r) => setImmediate(r));
      const readEarly = src.calls('fetch').includes(g.root.d.digest);
      dst.open();
      await running;
      assert.equal(
        readEarly,
        readsAreLocal,
        readsAreLocal ? 'a local manifest waits for exists()' : 'a remote manifest is read before it is needed',
      );
      assert.equal(src.calls('fetch').filter((x) => x === g.root.d.digest).length, 1, 'read once either way');
    }
  });

  test('an early read of a manifest the destination has is dropped: nothing below it is read or pushed', async () => {
    const g = sharedGraph();
    const src = await source(new TestMemory({ name: 'src', readsAreLocal: true }), g.all);
    const dst = new TestMemory({ name: 'dst' });
    await seed(dst, g.all);
    dst.log.length = 0;
    const r = await copy(src, g.root.d.digest, dst, { tags: ['v1'] });
    assert.equal(r.skipped, 1);
    assert.equal(r.copied, 0);
    assert.deepEqual(src.calls('fetch'), [g.root.d.digest]);
    assert.equal(dst.count('push'), 0);
  });
});

describe('copy strategy: size-only fetch', () => {
  test('blobs are fetched size-only only toward a destination that verifies digests; manifests never', async () => {
    for (const verifiesDigests of [true, false]) {
      const g = sharedGraph();
      const src = await source(new RecordingSource({ name: 'src' }), g.all);
      const dst = new TestMemory({ name: 'dst', verifiesDigests });
      await copy(src, g.root.d.digest, dst, { tags: ['v1'] });
      assert.equal(src.sizeOnly.size, g.all.length);
      for (const n of g.all) {
        const expected = verifiesDigests && !isGraphNodeType(n.d.mediaType);
        assert.equal(
          src.sizeOnly.get(n.d.digest),
          expected,
          `${n.d.mediaType} ${n.d.digest}: sizeOnly ${String(!expected)}`,
        );
      }
    }
  });
});

describe('copy strategy: lone-root tagging', () => {
  test('the one root, pushed with its first tag in one call and never by digest', async () => {
    const g = sharedGraph();
    const src = await source(new TestMemory({ name: 'src' }), g.all);
    const dst = new TaggingMemory({ name: 'dst' });
    await copy(src, g.root.d.digest, dst, { tags: ['v1'] });
    assert.deepEqual(dst.calls('pushTagged'), [g.root.d.digest]);
    assert.equal(
      dst.calls('push').filter((x) => x === g.root.d.digest).length,
      1,
      'the push pushTagged makes itself, no other',
    );
    const lastOther = dst.log.findLastIndex((c) => c.op === 'pushed' && c.digest !== g.root.d.digest);
    assert.ok(dst.log.findIndex((c) => c.op === 'pushTagged') > lastOther, 'after every other push completed');
  });

  test('a companion lookup that finds nothing leaves the root lone', async () => {
    const g = sharedGraph();
    const src = await source(new TestMemory({ name: 'src' }), g.all);
    const dst = new TaggingMemory({ name: 'dst' });
    await copy(src, g.root.d.digest, dst, { tags: ['v1'], companions: async () => [] });
    assert.deepEqual(dst.calls('pushTagged'), [g.root.d.digest]);
  });

  test('not for several roots, nor for an untagged root', async () => {
    const cfg = config('two');
    const a = manifest(cfg, [layer('two a')]);
    const b = manifest(cfg, [layer('two b')]);
    const nodes = [cfg, layer('two a'), layer('two b'), a, b];
    const src = await source(new TestMemory({ name: 'src' }), nodes);
    const dst = new TaggingMemory({ name: 'dst' });
    await copyGraphs(src, dst, [
      { root: a.d, tags: ['a'] },
      { root: b.d, tags: ['b'] },
    ]);
    assert.equal(dst.count('pushTagged'), 0);
    assert.deepEqual(dst.calls('tag'), ['a', 'b']);
    const dst2 = new TaggingMemory({ name: 'dst2' });
    await copy(src, a.d.digest, dst2, {});
    assert.equal(dst2.count('pushTagged'), 0);
    assert.equal(await dst2.exists(a.d), true);
  });

  test('a root with a referrer found is pushed by digest before the referrer', async () => {
    const cfg = config('lone r');
    const m = manifest(cfg, [layer('lone r layer')]);
    const sig = referrer(m, 'lone r');
    const src = await source(new TestMemory({ name: 'src' }), [
      cfg,
      layer('lone r layer'),
      m,
      ...sig.parts,
      sig.manifest,
    ]);
    const dst = new TaggingMemory({ name: 'dst' });
    const r = await copy(src, m.d.digest, dst, { tags: ['v1', 'v2'], includeReferrers: true });
    assert.equal(r.referrers, 1);
    assert.equal(dst.count('pushTagged'), 0);
    assert.deepEqual(dst.calls('tag'), ['v1', 'v2']);
  });
});
