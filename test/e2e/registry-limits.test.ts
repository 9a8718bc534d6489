import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cleanupTemps, expectError, ok, tempDir, treeHash } from '../helpers/cli.js';
import { EMPTY_DESC, LazyGraph, manifestOf, measuredRun, OCI_MANIFEST, referrerBuilder, startHostileRegistry, type Desc, type HostileGraph, type HostileRegistry, type Measured } from '../helpers/hostile-registry.js';

/**
 * What a hostile registry can make scrydon hold: endless referrer graphs, referrer lists, referrer chains,
 * indexes of indexes and tag lists. Each is refused with size_limit_exceeded naming the limit and the variable
 * that raises it, within the limit's work (never after the registry gives up), with the CLI's peak RSS under
 * 150 MiB and the store untouched. Every run is bounded from outside (killed past 60 s or 400 MiB), so the old
 * code's unbounded walk fails the test instead of hanging it.
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

/** Pulls from the hostile registry, bounded; asserts the refusal, the bound on memory, and an untouched store. */
async function refused(host: string, limitVar: string, env: NodeJS.ProcessEnv = {}, ref = `${host}/hostile/graph:1`): Promise<Measured> {
  const h = await home();
  const before = await treeHash(h);
  const r = await measuredRun(['pull', ref, '--plain-http'], { home: h, env, timeoutMs: 60_000, rssCapKiB: 400 * MiB });
  // the figures the issue asks for, in the test log
  console.log(`# ${limitVar}: exit ${r.code} after ${r.ms} ms, peak RSS ${Math.round(r.peakKiB / 1024)} MiB${r.killed ? ` (killed: ${r.killed})` : ''}`);
  assert.equal(r.killed, undefined, `the pull stops by itself (it was killed: ${r.killed}, peak ${r.peakKiB} KiB)`);
  expectError(r, 'size_limit_exceeded');
  assert.match(r.stderr, new RegExp(limitVar), 'the message says how to raise the limit');
  assert.ok(r.peakKiB <= RSS_BOUND_KIB, `peak RSS ${r.peakKiB} KiB is within 150 MiB`);
  assert.equal(await treeHash(h), before, 'the store is untouched');
  return r;
}

/** Root: an empty pack-shaped manifest tagged `1`. */
function rootOf(g: LazyGraph): Desc {
  return g.add('root', OCI_MANIFEST, () => manifestOf({ config: EMPTY_DESC, layers: [], annotations: { id: 'root' } }).bytes, '1');
}

describe('referrer graphs', () => {
  test('the issue: a nested referrer graph (16 referrers per manifest, each with 16 more, without end) is refused at the manifest limit', async () => {
    const g = new LazyGraph();
    rootOf(g);
    const reg = await serve({
      content: (ref) => g.content(ref),
      referrers: (subject) => {
        const key = g.keyOf(subject);
        if (key === undefined) return { items: [], more: false };
        const s: Desc = { mediaType: OCI_MANIFEST, digest: subject, size: 0 };
        const parent = g.content(subject);
        s.size = parent?.bytes.byteLength ?? 0;
        const items = Array.from({ length: 16 }, (_, i) => ({ ...g.add(`${key}.${i}`, OCI_MANIFEST, referrerBuilder(s, `${key}.${i}`, 16 * 1024)), artifactType: 'application/vnd.test.hostile' }));
        return { items, more: false };
      },
    });
    await refused(reg.host, 'SCRYDON_MAX_MANIFESTS');
  });
});
