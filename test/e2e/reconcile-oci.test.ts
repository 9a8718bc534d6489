import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Readable } from 'node:stream';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { Store } from '../../src/store/store-target.js';
import { cleanupTemps, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { fakeSigstore, IDENTITY, ISSUER, keylessBundle, type FakeSigstore } from '../helpers/sigstore-fixtures.js';
import { ociCatalog, publishCatalog } from '../helpers/oci-catalog.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * An OCI source in a real registry (Debian's docker-registry), the catalog pushed as the reference's CI pushes
 * it (an `oras push` artifact under :catalog), packs pushed and signed with `scrydon sign --key`. Change
 * detection is one HEAD, counted at a loopback proxy; a re-tagged catalog triggers a run; the source's policy
 * decides (a catalog that says `none`, or supplies its own key, does not get a pack past it); a pack failing
 * verification is not installed while its siblings are.
 */

interface Run {
  outcome: string;
  revision: string;
  lockRevision?: string;
  packs: Array<{ id: string; version: string; outcome: string; code?: string; detail?: string; digest?: string }>;
}

const PW = { COSIGN_PASSWORD: 'pw' };
let registry: RunningRegistry;
let proxy: RunningProxy;
let keys: string;
let otherKeys: string;
let reg: string;
const digests = new Map<string, string>();

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

/** Attaches a keyless (fake Fulcio/Rekor) Sigstore bundle referrer to a stored pack, as cosign 3 would. */
async function signKeyless(home: string, ref: string, s: FakeSigstore, san: string): Promise<void> {
  const store = await Store.open(join(home, 'catalog'));
  const subject = await store.resolve(ref);
  const r = bundleReferrer(
    subject,
    await keylessBundle(s, await s.issue(san), signStatement(subject.digest)),
    COSIGN_SIGN_PREDICATE,
    '2026-01-01T00:00:00Z',
  );
  for (const part of [r.config, r.layer, r.manifest])
    if (!(await store.exists(part.descriptor))) await store.push(part.descriptor, Readable.from([part.bytes]));
}

async function reconcile(o: RunOptions, ...args: string[]): Promise<Run[]> {
  const r = await scrydon(['reconcile', ...args, '--json'], o);
  if (r.code !== 0 && r.code !== 1) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run[];
}

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy({ upstream: registry.host });
  reg = proxy.host;
  keys = await tempDir();
  otherKeys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  await ok(['key', 'generate', '--dir', otherKeys], { env: PW });
  // the publisher: build, sign (with the source's key, or with someone else's), push
  const p = await env();
  for (const [dir, id, version, repo, signWith] of [
    ['acme-core', 'acme.core', '1.0.0', 'acme/core', keys],
    ['acme-fraud', 'acme.fraud', '1.2.0', 'acme/fraud', keys],
    ['acme-payments-integration', 'acme.payments', '0.3.0', 'acme/payments', otherKeys],
  ] as const) {
    const b = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], p);
    digests.set(id, b.digest);
    await ok(['sign', `${id}:${version}`, '--key', join(signWith, 'cosign.key')], { ...p, env: { ...p.env, ...PW } });
    await ok(['push', `${id}:${version}`, `${registry.host}/${repo}:${version}`, '--plain-http'], p);
  }
});

after(async () => {
  await proxy?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('an OCI source', () => {
  test('installs signed packs verified against the source key; an unchanged :catalog costs one HEAD; a re-tagged one runs', async () => {
    await publishCatalog(
      registry.host,
      'acme/scrydon-catalog',
      'catalog',
      ociCatalog([
        ['acme.core', '1.0.0', `${reg}/acme/core@${digests.get('acme.core')}`, 'cosign-key'],
        ['acme.fraud', '1.2.0', `${reg}/acme/fraud:1.2.0`, 'cosign-key'],
      ]),
    );
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'reg',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/scrydon-catalog`,
        '--plain-http',
        '--signature-policy',
        'cosign-key',
        '--public-key',
        join(keys, 'cosign.pub'),
      ],
      o,
    );
    proxy.reset();
    const [run] = await reconcile(o);
    assert.equal(run?.outcome, 'success', JSON.stringify(run));
    // the tag of acme.fraud is resolved once; everything after asks by digest (a tag moving mid-run cannot mix
    // versions)
    const fraudManifests = proxy.requests.filter((q) => q.path.startsWith('/v2/acme/fraud/manifests/'));
    assert.equal(
      fraudManifests.filter((q) => q.path.endsWith('/manifests/1.2.0')).length,
      1,
      JSON.stringify(fraudManifests),
    );
    assert.ok(
      fraudManifests
        .filter((q) => !q.path.endsWith('/manifests/1.2.0'))
        .every((q) => /\/manifests\/sha256[:-]/.test(q.path)),
      JSON.stringify(fraudManifests),
    );
    for (const p of run?.packs ?? []) {
      assert.equal(p.outcome, 'installed');
      assert.match(p.detail ?? '', /active; signed by key /);
    }
    const inst = await json<{ packs: Array<{ id: string; status: string; digest: string }> }>(['installed'], o);
    assert.deepEqual(
      inst.packs.map((p) => [p.id, p.status, p.digest]),
      [
        ['acme.core', 'active', digests.get('acme.core')],
        ['acme.fraud', 'active', digests.get('acme.fraud')],
      ],
    );
    // the catalog is in the store under its remote name; receipts record the verification
    assert.ok(
      (await json<Array<{ ref: string }>>(['ls'], o)).some((t) => t.ref === `${reg}/acme/scrydon-catalog:catalog`),
    );
    assert.ok((await readdir(join(o.home, 'catalog', 'receipts'))).length >= 2);
    const lock = JSON.parse(await readFile(join(o.home, 'state', 'reg.lock.json'), 'utf8')) as {
      revision: string;
      packs: Array<{ signer: string | null }>;
    };
    assert.equal(lock.revision, run?.revision);
    assert.ok(lock.packs.every((p) => p.signer?.startsWith('key ')));

    // unchanged: exactly one request, the HEAD of the catalog manifest
    proxy.reset();
    const [same] = await reconcile(o);
    assert.equal(same?.outcome, 'unchanged');
    assert.deepEqual(
      proxy.requests.map((q) => `${q.method} ${q.path}`),
      ['HEAD /v2/acme/scrydon-catalog/manifests/catalog'],
    );

    // re-tagged: the next run sees the new digest and runs
    await publishCatalog(
      registry.host,
      'acme/scrydon-catalog',
      'catalog',
      ociCatalog([
        ['acme.core', '1.0.0', `${reg}/acme/core@${digests.get('acme.core')}`, 'cosign-key'],
        ['acme.fraud', '1.2.0', `${reg}/acme/fraud:1.2.0`, 'cosign-key'],
        ['acme.extra', '1.0.0', `${reg}/acme/core@${digests.get('acme.core')}`, 'cosign-key'],
      ]),
    );
    proxy.reset();
    const [retagged] = await reconcile(o);
    assert.notEqual(retagged?.revision, run?.revision);
    assert.ok(proxy.requests.length > 1);
    assert.deepEqual(
      retagged?.packs.map((p) => [p.id, p.outcome]),
      [
        ['acme.core', 'unchanged'],
        ['acme.fraud', 'unchanged'],
        ['acme.extra', 'failed'],
      ],
    );
    assert.match(retagged?.packs[2]?.detail ?? '', /is acme\.core 1\.0\.0/);
  });

  test("the source's policy decides: kind none, a catalog-supplied key and an unsigned pack fail verify_failed; the sibling installs", async () => {
    const otherPub = await readFile(join(otherKeys, 'cosign.pub'), 'utf8');
    await publishCatalog(
      registry.host,
      'acme/mixed-catalog',
      'catalog',
      ociCatalog([
        ['acme.core', '1.0.0', `${reg}/acme/core@${digests.get('acme.core')}`, 'cosign-key'],
        ['acme.fraud', '1.2.0', `${reg}/acme/fraud@${digests.get('acme.fraud')}`, 'none'],
        ['acme.payments', '0.3.0', `${reg}/acme/payments:0.3.0`, 'cosign-key', otherPub],
      ]),
    );
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'mixed',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/mixed-catalog`,
        '--plain-http',
        '--signature-policy',
        'cosign-key',
        '--public-key',
        join(keys, 'cosign.pub'),
      ],
      o,
    );
    const res = await scrydon(['reconcile', '--json'], o);
    assert.equal(res.code, 1, 'a run with a failed pack exits 1');
    const [run] = JSON.parse(res.stdout) as Run[];
    const by = new Map(run?.packs.map((p) => [p.id, p]));
    assert.equal(by.get('acme.core')?.outcome, 'installed');
    assert.equal(by.get('acme.fraud')?.code, 'verify_failed');
    assert.match(by.get('acme.fraud')?.detail ?? '', /signature kind none, but source mixed requires cosign-key/);
    assert.equal(by.get('acme.payments')?.code, 'verify_failed');
    assert.match(by.get('acme.payments')?.detail ?? '', /rule: scope "source mixed"/);
    const inst = await json<{ packs: Array<{ id: string }> }>(['installed'], o);
    assert.deepEqual(
      inst.packs.map((p) => p.id),
      ['acme.core'],
    );
    // the failure is what `source history` and the catalog page show
    const hist = await json<Run[]>(['source', 'history', 'mixed'], o);
    assert.equal(hist[0]?.packs.find((p) => p.id === 'acme.payments')?.code, 'verify_failed');
  });

  test('cosign-keyless with no trusted root fails verification (trust material comes from the machine, not the catalog)', async () => {
    await publishCatalog(
      registry.host,
      'acme/keyless-catalog',
      'catalog',
      ociCatalog([['acme.fraud', '1.2.0', `${reg}/acme/fraud@${digests.get('acme.fraud')}`, 'cosign-keyless']]),
    );
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'kl',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/keyless-catalog`,
        '--plain-http',
        '--signature-policy',
        'cosign-keyless',
        '--certificate-identity-regexp',
        '.*',
        '--certificate-oidc-issuer',
        'https://token.actions.githubusercontent.com',
      ],
      o,
    );
    const [run] = await reconcile(o);
    assert.equal(run?.packs[0]?.code, 'verify_failed');
    assert.deepEqual((await json<{ packs: unknown[] }>(['installed'], o)).packs, []);
  });

  test('cosign-keyless: the identity and issuer of the source are checked against the imported trusted root', async () => {
    const sigstore = await fakeSigstore();
    const p = await env();
    const signed = new Map<string, string>();
    for (const [dir, id, version, repo, san] of [
      ['acme-core', 'acme.core', '1.0.0', 'keyless/core', IDENTITY],
      [
        'acme-payments-integration',
        'acme.payments',
        '0.3.0',
        'keyless/payments',
        'https://github.com/mallory/fork/.github/workflows/x.yml@refs/heads/main',
      ],
    ] as const) {
      signed.set(id, (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], p)).digest);
      await signKeyless(p.home, `${id}:${version}`, sigstore, san);
      await ok(['push', `${id}:${version}`, `${registry.host}/${repo}:${version}`, '--plain-http'], p);
    }
    await publishCatalog(
      registry.host,
      'keyless/catalog',
      'catalog',
      ociCatalog([
        ['acme.core', '1.0.0', `${reg}/keyless/core@${signed.get('acme.core')}`, 'cosign-keyless'],
        ['acme.payments', '0.3.0', `${reg}/keyless/payments@${signed.get('acme.payments')}`, 'cosign-keyless'],
      ]),
    );
    const o = await env();
    const root = join(await tempDir(), 'trusted_root.json');
    await writeFile(root, JSON.stringify(sigstore.trustedRoot));
    await ok(['trust', 'import', root], o);
    await ok(
      [
        'source',
        'add',
        'kl',
        '--type',
        'oci',
        '--url',
        `${reg}/keyless/catalog`,
        '--plain-http',
        '--certificate-identity-regexp',
        '^https://github\\.com/acme/',
        '--certificate-oidc-issuer',
        ISSUER,
      ],
      o,
    );
    const [run] = await reconcile(o);
    const by = new Map(run?.packs.map((x) => [x.id, x]));
    assert.equal(by.get('acme.core')?.outcome, 'installed', JSON.stringify(run));
    assert.ok(
      (by.get('acme.core')?.detail ?? '').includes(`active; signed by ${IDENTITY} (issuer ${ISSUER})`),
      by.get('acme.core')?.detail,
    );
    assert.equal(by.get('acme.payments')?.code, 'verify_failed');
    assert.match(by.get('acme.payments')?.detail ?? '', /identity/);
  });

  test('a private catalog: the source credential (username:token) reaches its registry and is never shown', async () => {
    const TOKEN = 'reg-token-never-print-me-7';
    const priv = await startRegistry({ kind: 'htpasswd', users: { ci: TOKEN } });
    try {
      await publishCatalog(
        priv.host,
        'acme/private-catalog',
        'catalog',
        ociCatalog([['acme.core', '1.0.0', `${reg}/acme/core@${digests.get('acme.core')}`, 'cosign-key']]),
        `ci:${TOKEN}`,
      );
      const o = await env();
      const add = [
        'source',
        'add',
        'priv',
        '--type',
        'oci',
        '--url',
        `${priv.host}/acme/private-catalog`,
        '--plain-http',
        '--credential-stdin',
        '--signature-policy',
        'cosign-key',
        '--public-key',
        join(keys, 'cosign.pub'),
      ];
      await ok(add, { ...o, input: `ci:${TOKEN}` });
      const tested = await ok(['source', 'test', 'priv'], o);
      assert.match(tested.stdout, /acme\.core 1\.0\.0/);
      const res = await scrydon(['reconcile', '--json'], o);
      assert.equal(res.code, 0, res.stderr);
      assert.equal((JSON.parse(res.stdout) as Run[])[0]?.outcome, 'success');
      for (const text of [
        res.stdout,
        res.stderr,
        tested.stdout,
        (await ok(['source', 'show', 'priv', '--json'], o)).stdout,
      ])
        assert.ok(!text.includes(TOKEN));
      const w = await env();
      await ok([...add.slice(0, 2), 'wrong', ...add.slice(3)], { ...w, input: 'ci:not-the-token' });
      const bad = await scrydon(['reconcile', '--json'], w);
      assert.equal(bad.code, 1);
      const [run] = JSON.parse(bad.stdout) as Array<Run & { code?: string; detail?: string }>;
      assert.equal(run?.code, 'fetch_failed');
      assert.match(run?.detail ?? '', /auth_failed/);
      assert.ok(!bad.stdout.includes('not-the-token'));
    } finally {
      await priv.stop();
    }
  });

  test('unsigned-allowed: packs install pending-review; an unreachable catalog is fetch_failed', async () => {
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'lab',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/scrydon-catalog`,
        '--plain-http',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    );
    const [run] = await reconcile(o);
    assert.ok(run?.packs.filter((p) => p.outcome === 'installed').length === 2, JSON.stringify(run));
    assert.ok(
      (await json<{ packs: Array<{ status: string }> }>(['installed'], o)).packs.every(
        (p) => p.status === 'pending-review',
      ),
    );
    await ok(
      [
        'source',
        'add',
        'gone',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/no-such-catalog`,
        '--plain-http',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    );
    const [gone] = await reconcile(o, 'gone');
    assert.equal(gone?.outcome, 'failed');
    assert.equal((gone as unknown as { code: string }).code, 'fetch_failed');
  });
});
