import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanupTemps, FIXTURES, json, ok, tempDir, type RunOptions } from '../helpers/cli.js';
import { addOciSourceArgs } from '../helpers/oci-catalog.js';
import { startReferrersFront, type ReferrersFront } from '../helpers/referrers-front.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { reconcileRuns, siteHome, siteNode } from '../helpers/site.js';

/**
 * Issue 19, a site registry WITH the OCI 1.1 referrers API. No such registry installs here (Debian's distribution
 * is 2.8; zot and distribution 3 are not packaged; npm has no registry server), so the registry is distribution 2.8
 * behind test/helpers/referrers-front.ts, which adds the API as distribution-spec 1.1 states it and answers from
 * what distribution stores (every manifest revision whose subject names the digest), sends OCI-Subject on a
 * manifest with a subject, and pages with Link (2 referrers a page here, so a pack's signatures and attestation
 * take two pages). The site publishes with --sign-key and an attestation of its own; nodes reconcile through the
 * front and find the site's signatures through the API alone: no `sha256-<hex>` tag is ever written or read.
 */

const PACKS = [
  ['acme-core', 'acme.core', '1.0.0'],
  ['acme-fraud', 'acme.fraud', '1.2.0'],
] as const;
const SLSA1 = 'https://slsa.dev/provenance/v1';
const LOCK_TYPE = 'application/vnd.scrydon.lock.v1+json';

let registry: RunningRegistry;
let front: ReferrersFront;
let keys: string;
let policy: string;
let site: RunOptions & { home: string };
const digests = new Map<string, string>();
/** Per pack id: the digests of its referrers in the site store after publish (upstream and site signatures, …). */
const referrersOf = new Map<string, string[]>();

interface Published {
  catalog: { digest: string; unchanged: boolean };
  lock: { digest: string };
  packs: Array<{ id: string; digest: string; siteSigned: boolean }>;
  copied: number;
}

/** The tags of `repository`, asked of the registry itself (not the front). */
async function tags(repository: string): Promise<string[]> {
  const r = await fetch(`http://${registry.host}/v2/${repository}/tags/list`);
  if (r.status === 404) return [];
  return ((await r.json()) as { tags: string[] | null }).tags ?? [];
}

/** Every repository under `prefix` and its tags. */
async function siteTags(prefix: string): Promise<Map<string, string[]>> {
  const all = ((await (await fetch(`http://${registry.host}/v2/_catalog`)).json()) as { repositories: string[] })
    .repositories;
  const out = new Map<string, string[]>();
  for (const repo of all.filter((r) => r.startsWith(`${prefix}/`))) out.set(repo, await tags(repo));
  return out;
}

async function installed(n: RunOptions): Promise<string[][]> {
  const { packs } = await json<{ packs: Array<{ id: string; digest: string }> }>(['installed', '--json'], n);
  return packs.map((p) => [p.id, p.digest]).sort();
}

before(async () => {
  registry = await startRegistry();
  front = await startReferrersFront(registry, { pageSize: 2 });
  keys = await tempKeys();
  site = await siteHome();
  // upstream: built and signed; the site verifies the upstream signature (receipts) and attests acme.core itself
  for (const [dir, id, version] of PACKS) {
    digests.set(id, (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], site)).digest);
    await ok(['sign', `${id}:${version}`, '--key', join(keys, 'upstream', 'cosign.key')], site);
    await ok(['verify', `${id}:${version}`, '--key', join(keys, 'upstream', 'cosign.pub')], site);
  }
  await ok(
    [
      'attest',
      'acme.core:1.0.0',
      '--type',
      'slsaprovenance1',
      '--predicate',
      join(FIXTURES, '..', 'catalog-spec', 'examples', 'slsa-provenance-v1.json'),
      '--key',
      join(keys, 'site', 'cosign.key'),
    ],
    site,
  );
  policy = join(keys, 'provenance-policy.yaml');
  await writeFile(
    policy,
    ['apiVersion: scrydon.io/v1', 'kind: AttestationPolicy', `predicateType: ${SLSA1}`, ''].join('\n'),
  );
});

async function tempKeys(): Promise<string> {
  const dir = await tempDir();
  const o = await siteHome();
  for (const k of ['upstream', 'site', 'other']) await ok(['key', 'generate', '--dir', join(dir, k)], o);
  return dir;
}

after(async () => {
  await front?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('publish into a registry with the referrers API', () => {
  let first: Published;

  test('site signatures, the attestation and the lock go up as referrers: OCI-Subject answered, no sha256-<hex> tag written', async () => {
    first = await json<Published>(
      ['publish', `${front.host}/site/packs`, '--plain-http', '--sign-key', join(keys, 'site', 'cosign.key'), '--json'],
      site,
    );
    assert.deepEqual(
      first.packs.map((p) => [p.id, p.digest, p.siteSigned]),
      PACKS.map(([, id]) => [id, digests.get(id), true]),
    );
    const all = await siteTags('site/packs');
    assert.deepEqual([...all.keys()].sort(), ['site/packs/acme.core', 'site/packs/acme.fraud', 'site/packs/catalog']);
    for (const [repo, t] of all)
      assert.deepEqual(
        t.filter((x) => /^sha256-/.test(x)),
        [],
        `${repo}: no referrers fallback tag (${t.join(', ')})`,
      );
    // what the API lists for each pack is exactly the referrers the site store holds for it
    for (const [, id, version] of PACKS) {
      const r = await json<{ referrers: Array<{ digest: string }> }>(['inspect', `${id}:${version}`, '--json'], site);
      const held = r.referrers.map((x) => x.digest).sort();
      referrersOf.set(id, held);
      const listed = await listReferrers(`site/packs/${id}`, digests.get(id) ?? '');
      assert.deepEqual(listed.map((d) => d.digest).sort(), held);
      // each was pushed with its subject, and the registry said so (OCI-Subject): the client wrote no fallback
      for (const d of held) assert.ok(front.subjects.some((s) => s.digest === d && s.subject === digests.get(id)));
    }
    assert.equal(referrersOf.get('acme.core')?.length, 3, 'upstream signature, site signature, attestation');
    assert.equal(referrersOf.get('acme.fraud')?.length, 2, 'upstream signature, site signature');
    // the lock is a referrer of the catalog, filtered by its artifact type
    const locks = await fetch(
      `http://${front.host}/v2/site/packs/catalog/referrers/${first.catalog.digest}?artifactType=${encodeURIComponent(LOCK_TYPE)}`,
    );
    assert.equal(locks.headers.get('oci-filters-applied'), 'artifactType');
    const lockIndex = (await locks.json()) as { manifests: Array<{ digest: string; artifactType: string }> };
    assert.deepEqual(
      lockIndex.manifests.map((m) => [m.digest, m.artifactType]),
      [[first.lock.digest, LOCK_TYPE]],
    );
  });

  test('nodes trusting only the site key find its signatures through the API and install the same digests', async () => {
    front.reset();
    front.served.length = 0;
    const nodes = await Promise.all(
      Array.from({ length: 3 }, () => siteNode(`${front.host}/site/packs/catalog`, join(keys, 'site', 'cosign.pub'))),
    );
    const runs = await Promise.all(nodes.map((n) => reconcileRuns(n)));
    for (const r of runs)
      assert.deepEqual(r.flatMap((x) => x.packs.map((p) => `${p.id}=${p.outcome}`)).sort(), [
        'acme.core=installed',
        'acme.fraud=installed',
      ]);
    const want = [...digests.entries()].sort();
    for (const n of nodes) assert.deepEqual(await installed(n), want);
    // through the API only: no node asked for a fallback tag; every pack's referrers were answered, page by page
    // (cosign's legacy `sha256-<hex>.sig` and `.att` tags are still looked up: they are not the referrers tag)
    const fallbackReads = front.requests.filter((r) => /\/manifests\/sha256-[a-f0-9]{64}$/.test(r.path));
    assert.deepEqual(fallbackReads, [], 'no referrers tag read');
    for (const [, id] of PACKS) {
      const subject = digests.get(id) ?? '';
      const answers = front.served.filter((s) => s.repository === `site/packs/${id}` && s.subject === subject);
      const perNode = answers.flatMap((a) => a.digests);
      for (const d of referrersOf.get(id) ?? [])
        assert.equal(
          perNode.filter((x) => x === d).length,
          nodes.length,
          `${id}: referrer ${d} served by the API to each node`,
        );
    }
    assert.ok(
      front.requests.some((r) => r.path.includes('/referrers/') && r.path.includes('last=')),
      "acme.core's third referrer came on a second page (Link)",
    );
    // each node's store holds the site's referrers of each pack (mirrored from the API's answers)
    for (const n of nodes)
      for (const [, id] of PACKS) {
        const held = await storeReferrers(n.home, digests.get(id) ?? '');
        for (const d of referrersOf.get(id) ?? []) assert.ok(held.includes(d), `${id}: ${d} in the node's store`);
      }
  });

  test('a node requiring provenance installs the attested pack; the other waits for review', async () => {
    const n = await siteHome();
    await ok(
      addOciSourceArgs(
        'site',
        `${front.host}/site/packs/catalog`,
        join(keys, 'site', 'cosign.pub'),
        '--require-attestation',
        policy,
      ),
      n,
    );
    const runs = await reconcileRuns(n);
    const outcome = new Map(runs.flatMap((r) => r.packs.map((p) => [p.id, p] as const)));
    assert.equal(outcome.get('acme.core')?.outcome, 'installed', JSON.stringify(runs));
    assert.notEqual(outcome.get('acme.fraud')?.outcome, 'installed');
    assert.equal(outcome.get('acme.fraud')?.code, 'attestation_not_found');
    assert.deepEqual(await installed(n), [['acme.core', digests.get('acme.core')]]);
  });

  test('a node with another site key installs nothing', async () => {
    const n = await siteNode(`${front.host}/site/packs/catalog`, join(keys, 'other', 'cosign.pub'));
    const runs = await reconcileRuns(n);
    for (const p of runs.flatMap((r) => r.packs)) assert.notEqual(p.outcome, 'installed');
    assert.deepEqual(await installed(n), []);
  });

  test('publishing again writes nothing', async () => {
    front.reset();
    const again = await json<Published>(
      ['publish', `${front.host}/site/packs`, '--plain-http', '--sign-key', join(keys, 'site', 'cosign.key'), '--json'],
      site,
    );
    assert.equal(again.catalog.digest, first.catalog.digest);
    assert.equal(again.copied, 0);
    assert.equal(front.count('POST', /\/blobs\/uploads\//), 0);
    assert.equal(front.count('PUT', /./), 0, front.requests.map((q) => `${q.method} ${q.path}`).join('\n'));
  });

  test('a referrer deleted from the registry leaves the API answer', async () => {
    const core = digests.get('acme.core') ?? '';
    const before = await listReferrers('site/packs/acme.core', core);
    const attestation = before.find((d) => d.annotations?.['dev.sigstore.bundle.predicateType'] === SLSA1);
    assert.ok(attestation, JSON.stringify(before));
    const del = await fetch(`http://${front.host}/v2/site/packs/acme.core/manifests/${attestation.digest}`, {
      method: 'DELETE',
    });
    assert.equal(del.status, 202);
    const after = await listReferrers('site/packs/acme.core', core);
    assert.deepEqual(
      after.map((d) => d.digest).sort(),
      before
        .map((d) => d.digest)
        .filter((d) => d !== attestation.digest)
        .sort(),
    );
  });
});

describe('--referrers tag against a registry with the API', () => {
  test('publish writes the sha256-<hex> fallback tags; nodes still install (the API lists the same referrers)', async () => {
    await json<Published>(
      [
        'publish',
        `${front.host}/tagged/packs`,
        '--plain-http',
        '--referrers',
        'tag',
        '--sign-key',
        join(keys, 'site', 'cosign.key'),
        '--json',
      ],
      site,
    );
    for (const [, id] of PACKS) {
      const t = await tags(`tagged/packs/${id}`);
      assert.ok(t.includes(`sha256-${(digests.get(id) ?? '').slice(7)}`), `${id}: ${t.join(', ')}`);
    }
    const n = await siteNode(`${front.host}/tagged/packs/catalog`, join(keys, 'site', 'cosign.pub'));
    const runs = await reconcileRuns(n);
    assert.deepEqual(runs.flatMap((x) => x.packs.map((p) => `${p.id}=${p.outcome}`)).sort(), [
      'acme.core=installed',
      'acme.fraud=installed',
    ]);
    assert.deepEqual(await installed(n), [...digests.entries()].sort());
  });
});

/** The digests a store (`home`) keeps as referrers of `subject` (untagged entries naming it). */
async function storeReferrers(home: string, subject: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  return index.manifests.filter((m) => m.annotations?.['io.scrydon.subject'] === subject).map((m) => m.digest);
}

/** GET /v2/<repository>/referrers/<subject> through the front, every page. */
async function listReferrers(
  repository: string,
  subject: string,
): Promise<Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }>> {
  const out: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> = [];
  let url: string | undefined = `http://${front.host}/v2/${repository}/referrers/${subject}`;
  while (url) {
    const r = await fetch(url);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    out.push(...((await r.json()) as { manifests: typeof out }).manifests);
    const next = /<([^>]+)>;\s*rel="next"/.exec(r.headers.get('link') ?? '')?.[1];
    url = next ? `http://${front.host}${next}` : undefined;
  }
  return out;
}
