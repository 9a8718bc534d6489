import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupTemps, FIXTURES, json, ok, scrydon, tempDir, type RunResult } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedReferrer } from '../helpers/seed-store.js';

/**
 * gc never races a writer (issue 14): on one store, each round untags everything with `rm` (so the load and the pull
 * find their blobs present but unreferenced, and skip them), then runs at once a load of an archive, a pull from a
 * real registry, two `gc --grace 0`, a tag and an install of the untagged manifests by digest. Every writer must
 * succeed (or fail with the code its race allows) and `scrydon check` must be clean after every round. Before
 * leases, gc deleted blobs a load, pull or tag had found present and was about to tag.
 */

const ROUNDS = Number(process.env.SCRYDON_TEST_GC_ROUNDS ?? 20);
const CORE = 'acme.core:1.0.0';

interface IndexJson {
  manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
}

async function tags(home: string): Promise<string[]> {
  const idx = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as IndexJson;
  return idx.manifests
    .map((m) => m.annotations?.['org.opencontainers.image.ref.name'])
    .filter((t): t is string => t !== undefined);
}

/** The run's outcome: `ok`, or the error code it printed (anything else fails the test with its output). */
function outcome(what: string, r: RunResult, allowed: readonly string[] = []): string {
  if (r.code === 0) return 'ok';
  const code = /error\[([a-z_]+)\]/.exec(r.stderr)?.[1];
  assert.ok(code !== undefined && allowed.includes(code), `${what} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return code;
}

describe('gc --grace 0 concurrent with load, pull, tag/rm and install', () => {
  let registry: RunningRegistry;
  let home: string;
  let archive: string;
  let remoteRef: string;
  let coreDigest: string;
  let payDigest: string;

  before(async () => {
    registry = await startRegistry();
    const seed = await tempDir();
    home = await tempDir();
    await ok(['ls'], { home }); // an empty store
    const core = await json<{ digest: string; size: number }>(['build', join(FIXTURES, 'packs', 'acme-core')], {
      home: seed,
    });
    const pay = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-payments-integration')], {
      home: seed,
    });
    coreDigest = core.digest;
    payDigest = pay.digest;
    // a signature on each, so referrers travel (and must stay whole) too
    const manifestSize = async (d: string) =>
      (await readFile(join(seed, 'catalog', 'blobs', 'sha256', d.slice(7)))).byteLength;
    const mt = 'application/vnd.oci.image.manifest.v1+json';
    await seedReferrer(join(seed, 'catalog'), {
      mediaType: mt,
      digest: core.digest as `sha256:${string}`,
      size: await manifestSize(core.digest),
    });
    await seedReferrer(join(seed, 'catalog'), {
      mediaType: mt,
      digest: pay.digest as `sha256:${string}`,
      size: await manifestSize(pay.digest),
    });
    archive = join(seed, 'core.tar');
    await ok(['save', CORE, '-o', archive], { home: seed });
    remoteRef = `${registry.host}/acme/payments:0.3.0`;
    await ok(['push', 'acme.payments:0.3.0', remoteRef, '--plain-http'], { home: seed });
  });
  after(async () => {
    await registry?.stop();
    await cleanupTemps();
  });

  it(`keeps the store consistent in each of ${ROUNDS} rounds`, async () => {
    const seen: Record<string, number> = {};
    const note = (k: string) => (seen[k] = (seen[k] ?? 0) + 1);
    for (let round = 0; round < ROUNDS; round++) {
      const present = await tags(home);
      if (present.length > 0) await ok(['rm', ...present], { home });
      const lanes = await Promise.all([
        scrydon(['load', '-i', archive], { home }).then((r) => `load:${outcome('load', r)}`),
        scrydon(['pull', remoteRef, '--plain-http'], { home }).then((r) => `pull:${outcome('pull', r)}`),
        (async () => {
          const a = outcome('gc', await scrydon(['gc', '--grace', '0'], { home }));
          const b = outcome('gc', await scrydon(['gc', '--grace', '0'], { home }));
          return `gc:${a}/${b}`;
        })(),
        // by digest, while the manifest is unreferenced: collected before it is found (not_found) or before it is
        // held (blob_missing), or tagged; never a tag of a manifest that is gone
        scrydon(['tag', coreDigest, 'acme.core:copy'], { home }).then(
          (r) => `tag:${outcome('tag', r, ['not_found', 'blob_missing'])}`,
        ),
        // collected before it resolves (not_found); once it resolves, its lease keeps what it reads
        scrydon(['install', round % 2 ? payDigest : coreDigest], { home }).then(
          (r) => `install:${outcome('install', r, ['not_found'])}`,
        ),
      ]);
      for (const l of lanes) note(l);
      const check = await scrydon(['check', '--json'], { home });
      assert.equal(
        check.code,
        0,
        `round ${round + 1}: check found faults after ${lanes.join(', ')}:\n${check.stdout}${check.stderr}`,
      );
      assert.deepEqual(
        await readdir(join(home, 'catalog', 'leases')),
        [],
        `round ${round + 1}: a finished writer left its lease`,
      );
      const after = await tags(home);
      assert.ok(
        after.includes(CORE) && after.some((t) => t.endsWith('/acme/payments:0.3.0')),
        `round ${round + 1}: load and pull tagged: ${after.join(', ')}`,
      );
    }
    // what the rounds did (visible with --test-reporter=spec)
    console.log(JSON.stringify(seen));
  });
});
