import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ArchiveReader } from '../../src/archive/archive-reader.js';
import { fileSink } from '../../src/archive/archive-sink.js';
import { ArchiveWriter } from '../../src/archive/archive-writer.js';
import { hasReferrers, isTagLister, type ReadOnlyTarget, type Target } from '../../src/content/target.js';
import { readAllBounded } from '../../src/content/verify-stream.js';
import { isScrydonError } from '../../src/errors.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { OPEN_GATE } from '../../src/registry/gate.js';
import { Remote } from '../../src/registry/remote.js';
import { RegistrySettings } from '../../src/registry/settings.js';
import { LayoutDir } from '../../src/store/layout-dir.js';
import { LeasedStore } from '../../src/store/leased-store.js';
import { removeStaleStaging, StagingTarget } from '../../src/store/staging.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { damaged, layer, referrer, seed, sharedGraph, type Node } from '../helpers/graph.js';
import { TestMemory } from '../helpers/memory-targets.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * The Target contract (src/content/target.ts), checked on every Target: a push is verified and visible only when
 * complete; exists, fetch, resolve and tag agree; content damaged where it is kept fails when read to its end.
 */
interface Subject {
  target: Target;
  /** What others see once the target's writes are final (its commit, for staging and an archive). */
  finish(): Promise<ReadOnlyTarget>;
  /** Changes the bytes kept for `n` (after finish) into others of the same size. */
  damage(n: Node): Promise<void>;
  /** Files a failed push must not leave behind (looked at after finish). */
  leftovers(): Promise<string[]>;
  /** The target answers exists/fetch/resolve for what it was given before finish (an archive writer does not read). */
  readsBack: boolean;
  /** A failed push breaks the target for good (an archive writer cannot take back half an entry). */
  breaksOnFailure: boolean;
  close(): Promise<void>;
}

let registry: RunningRegistry;
let remote: Remote;
before(async () => {
  registry = await startRegistry();
  remote = new Remote({
    settings: new RegistrySettings().withFlags({ plainHttp: true }, [registry.host]),
    credentials: { authFiles: [] },
    gate: OPEN_GATE,
  });
});
after(async () => {
  await remote?.close();
  await registry?.stop();
  await cleanupTemps();
});

/** Overwrites a read-only blob file with damaged bytes of the same size. */
async function damageFile(path: string): Promise<void> {
  const bytes = await readFile(path);
  await chmod(path, 0o644);
  await writeFile(path, damaged(bytes));
  await chmod(path, 0o444);
}

const storeLike = (
  s: Store,
  target: Target,
  o: { finish?: () => Promise<void>; close?: () => Promise<void> } = {},
): Subject => ({
  target,
  finish: async () => {
    await o.finish?.();
    return target;
  },
  damage: (n) => damageFile(s.paths.blob(n.d.digest)),
  leftovers: async () => readdir(s.paths.ingest),
  readsBack: true,
  breaksOnFailure: false,
  close: o.close ?? (async () => undefined),
});

const subjects: Record<string, () => Promise<Subject>> = {
  memory: async () => {
    const m = new TestMemory();
    return {
      target: m,
      finish: async () => m,
      damage: async (n) => m.damage(n.d.digest),
      leftovers: async () => [],
      readsBack: true,
      breaksOnFailure: false,
      close: async () => undefined,
    };
  },
  store: async () => {
    const s = await Store.open(join(await tempDir(), 'catalog'));
    return storeLike(s, s);
  },
  'leased store': async () => {
    const s = await Store.open(join(await tempDir(), 'catalog'));
    const leased = new LeasedStore(s);
    return storeLike(s, leased, { close: () => leased.release() });
  },
  'oci: layout': async () => {
    const l = await LayoutDir.open(join(await tempDir(), 'layout'));
    return storeLike(l.store, l);
  },
  staging: async () => {
    const s = await Store.open(join(await tempDir(), 'catalog'));
    const staging = await StagingTarget.create(s);
    return {
      ...storeLike(s, staging, { close: () => staging.discard() }),
      finish: async () => {
        await staging.commit();
        return s;
      },
    };
  },
  'archive writer and reader': async () => {
    const dir = await tempDir();
    const path = join(dir, 'out.tar');
    const writer = new ArchiveWriter(await fileSink(path));
    let reader: ArchiveReader | undefined;
    return {
      target: writer,
      finish: async () => {
        await writer.commit();
        reader = await ArchiveReader.open(path);
        return reader;
      },
      damage: async (n) => {
        const bytes = await readFile(path);
        const at = bytes.indexOf(n.bytes);
        assert.ok(at >= 0 && bytes.indexOf(n.bytes, at + 1) === -1);
        damaged(n.bytes).copy(bytes, at);
        await writeFile(path, bytes);
      },
      leftovers: async () => (await readdir(dir)).filter((f) => f !== 'out.tar'),
      readsBack: false,
      breaksOnFailure: true,
      close: async () => {
        await reader?.close();
        await writer.abort();
      },
    };
  },
  'registry repository': async () => {
    const repo = `contract/${randomBytes(4).toString('hex')}`;
    const target = remote.repository(`${registry.host}/${repo}`, { writable: true });
    return {
      target,
      finish: async () => remote.repository(`${registry.host}/${repo}`),
      damage: (n) =>
        damageFile(
          join(
            registry.storage,
            'docker/registry/v2/blobs/sha256',
            n.d.digest.slice(7, 9),
            n.d.digest.slice(7),
            'data',
          ),
        ),
      leftovers: async () => [],
      readsBack: true,
      breaksOnFailure: false,
      close: async () => undefined,
    };
  },
};

async function readAll(t: ReadOnlyTarget, d: Descriptor): Promise<Buffer> {
  return readAllBounded(await t.fetch(d), 1 << 24, d.digest);
}

/** A body that sends the first half of `bytes` and then fails, as a dropped connection does. */
function cutShort(bytes: Buffer): Readable {
  return new Readable({
    read() {
      this.push(bytes.subarray(0, bytes.length >> 1));
      setImmediate(() => this.destroy(new Error('connection reset')));
    },
  });
}

const codeOneOf =
  (...codes: string[]) =>
  (e: unknown): boolean =>
    isScrydonError(e) && codes.includes(e.code);

for (const [name, make] of Object.entries(subjects)) {
  describe(`Target contract: ${name}`, () => {
    /** Runs `fn` on a fresh subject, closed however it ends. */
    const withSubject = async (fn: (s: Subject) => Promise<void>): Promise<void> => {
      const s = await make();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    test('what is pushed exists, reads back byte for byte, and resolves by digest; what is not, does not', () =>
      withSubject(async (s) => {
        const g = sharedGraph(name);
        const absent = layer(`absent ${name}`);
        for (const n of g.all) assert.equal(await s.target.exists(n.d), false);
        await seed(s.target, g.all);
        if (s.readsBack) {
          for (const n of g.all) assert.equal(await s.target.exists(n.d), true);
          assert.equal((await s.target.resolve(g.root.d.digest)).digest, g.root.d.digest);
        }
        assert.equal(await s.target.exists(absent.d), false);
        await s.target.tag(g.root.d, 'v1');
        const r = await s.finish();
        for (const n of g.all) {
          assert.equal(await r.exists(n.d), true, `${n.d.digest} exists`);
          assert.deepEqual(await readAll(r, n.d), n.bytes);
        }
        const byDigest = await r.resolve(g.root.d.digest);
        assert.deepEqual(
          [byDigest.digest, byDigest.size, byDigest.mediaType],
          [g.root.d.digest, g.root.d.size, g.root.d.mediaType],
        );
        assert.equal(await r.exists(absent.d), false);
        await assert.rejects((async () => readAll(r, absent.d))(), codeOneOf('blob_missing', 'not_found'));
        assert.deepEqual(await s.leftovers(), []);
      }));

    test('a tag resolves to what it was last set to, and is listed', () =>
      withSubject(async (s) => {
        const a = sharedGraph(`${name} a`);
        const b = sharedGraph(`${name} b`);
        await seed(s.target, [...a.all, ...b.all]);
        await s.target.tag(a.root.d, 'v1');
        await s.target.tag(a.root.d, 'v2');
        await s.target.tag(b.root.d, 'v1'); // moves v1
        const r = await s.finish();
        assert.equal((await r.resolve('v1')).digest, b.root.d.digest);
        assert.equal((await r.resolve('v2')).digest, a.root.d.digest);
        await assert.rejects(r.resolve('v3'), codeOneOf('not_found'));
        if (isTagLister(r)) {
          const tags = await r.tags();
          // the store keeps a bare name as `name:latest` (store/pin.ts)
          const has = (tag: string) => tags.some((t) => t === tag || t === `${tag}:latest`);
          assert.ok(has('v1') && has('v2'), `tags: ${tags.join(', ')}`);
        }
      }));

    test('a manifest it does not hold cannot be tagged', () =>
      withSubject(async (s) => {
        const g = sharedGraph(`${name} untaggable`);
        await assert.rejects(s.target.tag(g.root.d, 'v1'), codeOneOf('blob_missing', 'not_found'));
      }));

    test('a manifest with a subject is listed among its referrers', () =>
      withSubject(async (s) => {
        const g = sharedGraph(`${name} signed`);
        const sig = referrer(g.root, name);
        await seed(s.target, [...g.all, ...sig.parts, sig.manifest]);
        await s.target.tag(g.root.d, 'v1');
        const r = await s.finish();
        if (!hasReferrers(r)) return;
        assert.deepEqual(
          (await r.referrers(g.root.d)).map((d) => d.digest),
          [sig.manifest.d.digest],
        );
        assert.deepEqual(await r.referrers(sig.manifest.d), []);
      }));

    test('content damaged where it is kept fails when read to its end (verify on EOF)', () =>
      withSubject(async (s) => {
        const l = layer(`a layer of ${name} `.repeat(64));
        const g = sharedGraph(`${name} damaged`);
        await seed(s.target, [l, ...g.all]);
        await s.target.tag(g.root.d, 'v1');
        const r = await s.finish();
        await s.damage(l);
        await assert.rejects((async () => readAll(r, l.d))(), codeOneOf('digest_mismatch'));
      }));

    for (const [how, body, code] of [
      ['whose bytes do not match its digest', (n: Node) => Readable.from([damaged(n.bytes)]), ['digest_mismatch']],
      ['with more bytes than its size', (n: Node) => Readable.from([n.bytes, Buffer.from('x')]), ['size_mismatch']],
      ['cut short by a failure', (n: Node) => cutShort(n.bytes), []],
    ] as const) {
      test(`a push ${how} fails and leaves nothing visible`, () =>
        withSubject(async (s) => {
          const l = layer(`pushed badly to ${name} `.repeat(64));
          const g = sharedGraph(`${name} after a failure`);
          await assert.rejects(s.target.push(l.d, body(l)), (e: unknown) =>
            code.length === 0 ? e instanceof Error : codeOneOf(...code)(e),
          );
          if (s.readsBack) assert.equal(await s.target.exists(l.d), false);
          if (s.breaksOnFailure) {
            await assert.rejects(s.finish(), codeOneOf('internal'));
            return;
          }
          await seed(s.target, g.all);
          await s.target.tag(g.root.d, 'v1');
          const r = await s.finish();
          assert.equal(await r.exists(l.d), false);
          assert.deepEqual(await s.leftovers(), []);
          // and the same content pushed whole afterwards is taken
          if (r === s.target) {
            await seed(s.target, [l]);
            assert.deepEqual(await readAll(r, l.d), l.bytes);
          }
        }));
    }

    test('pushing content it holds already is harmless', () =>
      withSubject(async (s) => {
        const g = sharedGraph(`${name} twice`);
        await seed(s.target, g.all);
        await seed(s.target, g.all);
        await s.target.tag(g.root.d, 'v1');
        const r = await s.finish();
        for (const n of g.all) assert.deepEqual(await readAll(r, n.d), n.bytes);
      }));
  });
}

describe('staging: all or nothing', () => {
  test('nothing is visible in the store until commit; discard leaves the store as it was', async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const before = await readFile(store.paths.index);
    const g = sharedGraph('staged');
    const discarded = await StagingTarget.create(store);
    await seed(discarded, g.all);
    await discarded.tag(g.root.d, 'v1');
    for (const n of g.all) assert.equal(await store.exists(n.d), false);
    await discarded.discard();
    assert.deepEqual(await readFile(store.paths.index), before);
    assert.deepEqual(await readdir(store.paths.ingest), []);
    for (const n of g.all) assert.equal(await store.exists(n.d), false);

    const committed = await StagingTarget.create(store);
    await seed(committed, g.all);
    await committed.tag(g.root.d, 'v1');
    assert.equal((await committed.resolve('v1')).digest, g.root.d.digest, 'a pending tag resolves in the staging view');
    await assert.rejects(store.resolve('v1'), codeOneOf('not_found'));
    await committed.commit();
    assert.equal((await store.resolve('v1')).digest, g.root.d.digest);
    await assert.rejects(committed.push(g.root.d, Readable.from([g.root.bytes])), codeOneOf('internal'));
  });

  test("a killed load's staging area is removed; a running load's is not", async () => {
    const store = await Store.open(join(await tempDir(), 'catalog'));
    const running = await StagingTarget.create(store);
    await seed(running, sharedGraph('running').all);
    const left = join(store.paths.ingest, 'load-1-deadbeef0000');
    await mkdir(join(left, 'blobs'), { recursive: true });
    assert.deepEqual(await removeStaleStaging(store.paths, 0, Date.now() + 1000), [left]);
    const kept = await readdir(store.paths.ingest);
    assert.equal(
      kept.filter((n) => n.startsWith('load-') && !n.endsWith('.lock')).length,
      1,
      `kept: ${kept.join(', ')}`,
    );
    await running.commit();
    assert.deepEqual(await readdir(store.paths.ingest), []);
  });
});
