import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { Store } from '../../src/store/store-target.js';
import { statement } from '../helpers/attestation-fixtures.js';
import {
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { addOciSourceArgs, ociCatalog, publishCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startServe } from '../helpers/serve.js';
import { fakeSigstore, IDENTITY, ISSUER, keylessBundle, type FakeSigstore } from '../helpers/sigstore-fixtures.js';

/**
 * Issue 21 item 4: a source's signature policy requires attestations (`source add --require-attestation FILE`,
 * the verify-attestation policy format). In a reconcile, after each pack's signature: a pack with a good SLSA
 * provenance (made by `scrydon attest --key`) installs active; one without waits in pending-review; one whose
 * provenance fails a matcher is verify_failed and not installed while its siblings install. Receipts and the lock
 * name the attestation that satisfied the rule; the lock travels with save/load. The air gap: attest, save, load,
 * `reconcile --offline` succeeds; the archive made again without the attestation leaves the pack waiting.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const SLSA1 = 'https://slsa.dev/provenance/v1';

interface RunPack {
  id: string;
  outcome: string;
  code?: string;
  detail?: string;
  digest?: string;
}
interface Run {
  source: string;
  outcome: string;
  packs: RunPack[];
}
interface LockedAttestation {
  rule: string;
  predicateType: string;
  attestation: string;
  format: string;
  signer: string;
}
interface Lock {
  packs: Array<{ id: string; digest: string; signer: string | null; attestations?: LockedAttestation[] }>;
}
interface Installed {
  packs: Array<{ id: string; version: string; status: string; digest: string }>;
}

let registry: RunningRegistry;
let keys: string;
let policy: string;
const digests = new Map<string, string>();

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

function addArgs(name: string, ref: string, ...extra: string[]): string[] {
  const url = `${registry.host}/acme/scrydon-catalog`;
  return addOciSourceArgs(name, url, join(keys, 'cosign.pub'), '--ref', ref, ...extra);
}

async function reconcileRuns(o: RunOptions, ...args: string[]): Promise<{ code: number | null; runs: Run[] }> {
  const r = await scrydon(['reconcile', ...args, '--json'], o);
  return { code: r.code, runs: JSON.parse(r.stdout) as Run[] };
}

function pack(run: Run | undefined, id: string): RunPack {
  const p = run?.packs.find((x) => x.id === id);
  assert.ok(p, `${id} in ${JSON.stringify(run)}`);
  return p;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function receiptPath(home: string, digest: string): string {
  return join(home, 'catalog', 'receipts', `${digest.slice('sha256:'.length)}.attestations.jsonl`);
}

async function attestationReceipts(home: string, digest: string): Promise<Array<Record<string, unknown>>> {
  if (!(await exists(receiptPath(home, digest)))) return [];
  const text = await readFile(receiptPath(home, digest), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l.slice(l.indexOf('\t') + 1)) as Record<string, unknown>);
}

before(async () => {
  registry = await startRegistry();
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  const provenance = JSON.parse(
    await readFile(join(FIXTURES, '..', 'catalog-spec', 'examples', 'slsa-provenance-v1.json'), 'utf8'),
  ) as { runDetails: { builder: { id: string } } };
  await writeFile(join(keys, 'good.json'), JSON.stringify(provenance));
  const bad = structuredClone(provenance);
  bad.runDetails.builder.id = 'https://github.com/actions/runner/self-hosted';
  await writeFile(join(keys, 'bad.json'), JSON.stringify(bad));
  policy = join(keys, 'provenance-policy.yaml');
  await writeFile(
    policy,
    [
      'apiVersion: scrydon.io/v1',
      'kind: AttestationPolicy',
      `predicateType: ${SLSA1}`,
      'predicate:',
      '  - path: buildDefinition.externalParameters.workflow.repository',
      '    exact: https://github.com/acme/fraud',
      '  - path: runDetails.builder.id',
      "    regexp: '^https://github\\.com/actions/runner/github-hosted$'",
      '',
    ].join('\n'),
  );
  const p = await env();
  const key = join(keys, 'cosign.key');
  for (const [dir, id, version, predicate] of [
    ['acme-core', 'acme.core', '1.0.0', 'good.json'],
    ['acme-fraud', 'acme.fraud', '1.2.0', 'bad.json'],
    ['acme-payments-integration', 'acme.payments', '0.3.0', undefined],
  ] as const) {
    digests.set(id, (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], p)).digest);
    await ok(['sign', `${id}:${version}`, '--key', key], { ...p, env: { ...p.env, ...PW } });
    if (predicate)
      await ok(
        ['attest', `${id}:${version}`, '--type', 'slsaprovenance1', '--predicate', join(keys, predicate), '--key', key],
        { ...p, env: { ...p.env, ...PW } },
      );
    await ok(['push', `${id}:${version}`, `${registry.host}/acme/${id}:${version}`, '--plain-http'], p);
  }
  const pem = await readFile(join(keys, 'cosign.pub'), 'utf8');
  const entry = (id: string, version: string) =>
    [id, version, `${registry.host}/acme/${id}:${version}`, 'cosign-key', pem] as const;
  await publishCatalog(
    registry.host,
    'acme/scrydon-catalog',
    'catalog',
    ociCatalog([entry('acme.core', '1.0.0'), entry('acme.fraud', '1.2.0'), entry('acme.payments', '0.3.0')]),
  );
  await publishCatalog(registry.host, 'acme/scrydon-catalog', 'good', ociCatalog([entry('acme.core', '1.0.0')]));
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

test('a source requiring SLSA provenance: attested installs, missing waits in pending-review, failing is verify_failed while its siblings install', async () => {
  const h = await env();
  await ok(addArgs('acme', 'catalog', '--require-attestation', policy), h);
  const listed = await json<Array<{ signaturePolicy: { attestations?: Array<{ predicateType: string }> } }>>(
    ['source', 'ls'],
    h,
  );
  assert.equal(listed[0]?.signaturePolicy.attestations?.[0]?.predicateType, SLSA1, JSON.stringify(listed));

  const { code, runs } = await reconcileRuns(h);
  assert.equal(code, 1, 'a verify_failed pack fails the run');
  const run = runs[0];
  const core = pack(run, 'acme.core');
  assert.equal(core.outcome, 'installed');
  assert.match(
    core.detail ?? '',
    /active; signed by key .*; attestation sha256:[a-f0-9]{64} satisfied attestations\[0\]/,
  );
  const payments = pack(run, 'acme.payments');
  assert.equal(payments.outcome, 'pending-review');
  assert.equal(payments.code, 'attestation_not_found');
  assert.equal(payments.digest, digests.get('acme.payments'));
  assert.match(payments.detail ?? '', /not installed, waiting for review: signed by key .*no attestation answers/);
  const fraud = pack(run, 'acme.fraud');
  assert.equal(fraud.outcome, 'failed');
  assert.equal(fraud.code, 'verify_failed');
  assert.match(fraud.detail ?? '', /attestation rule attestations\[0\].*predicate_mismatch: .*runDetails\.builder\.id/);

  // installed state: core active; nothing of the waiting pack nor of the failed one in the install root
  const inst = await json<Installed>(['installed'], h);
  assert.deepEqual(
    inst.packs.map((p) => [p.id, p.status]),
    [['acme.core', 'active']],
  );
  assert.equal(await exists(join(h.home, 'packs', 'acme.fraud')), false, 'nothing of the failed pack installed');
  assert.equal(await exists(join(h.home, 'packs', 'acme.payments')), false, 'nothing of the waiting pack installed');
  // the store: all three mirrored, only core has an attestation receipt, naming the rule and the signer
  const ls = await json<Array<{ ref?: string; digest: string }> | { artifacts?: unknown }>(['ls', '--json'], h);
  for (const id of ['acme.core', 'acme.fraud', 'acme.payments'])
    assert.ok(JSON.stringify(ls).includes(digests.get(id) ?? '-'), `${id} is in the store`);
  const receipts = await attestationReceipts(h.home, digests.get('acme.core') ?? '');
  assert.equal(receipts.length, 1);
  assert.equal(receipts[0]?.rule, `attestations[0] (${SLSA1})`);
  assert.equal(receipts[0]?.predicateType, SLSA1);
  assert.match(String(receipts[0]?.attestation), /^sha256:[a-f0-9]{64}$/);
  assert.match(String(receipts[0]?.signer), /^key /);
  assert.deepEqual(await attestationReceipts(h.home, digests.get('acme.fraud') ?? ''), []);
  assert.deepEqual(await attestationReceipts(h.home, digests.get('acme.payments') ?? ''), []);

  // the review: approve installs the digest the run verified, active, for the source
  const approved = await json<{ status: string; source: string; digest: string }>(
    ['approve', 'acme.payments@0.3.0'],
    h,
  );
  assert.deepEqual(
    [approved.status, approved.source, approved.digest],
    ['active', 'acme', digests.get('acme.payments')],
  );
  const after = await json<Installed & { packs: Array<{ source?: string }> }>(['installed'], h);
  const approvedPack = after.packs.find((p) => p.id === 'acme.payments');
  assert.deepEqual([approvedPack?.status, approvedPack?.digest], ['active', digests.get('acme.payments')]);
  assert.equal(await exists(join(h.home, 'packs', 'acme.payments', '0.3.0')), true);
});

test('a malformed attestation rule is refused at source add, with nothing changed', async () => {
  const h = await env();
  await ok(addArgs('first', 'good'), h);
  const before = await treeHash(h.home);
  const cases: Array<[string, string]> = [
    ['lookbehind', 'predicate:\n  - path: runDetails.builder.id\n    regexp: "(?<=x)y"\n'],
    ['two matchers', 'predicate:\n  - path: a.b\n    exact: x\n    regexp: x\n'],
    ['bad semver', 'predicate:\n  - path: a.b\n    semver: "not a range"\n'],
    ['unknown claim', 'certificate:\n  nonsense: { exact: x }\n'],
  ];
  for (const [what, body] of cases) {
    const file = join(keys, `bad-${what.replace(/ /g, '-')}.yaml`);
    await writeFile(file, `apiVersion: scrydon.io/v1\nkind: AttestationPolicy\npredicateType: ${SLSA1}\n${body}`);
    const r = expectError(await scrydon(addArgs('second', 'good', '--require-attestation', file), h), 'policy_invalid');
    assert.match(r.stderr, /^error\[policy_invalid\]: /m, what);
  }
  // no predicate type: which attestations would it require?
  const untyped = join(keys, 'untyped.yaml');
  await writeFile(untyped, 'apiVersion: scrydon.io/v1\nkind: AttestationPolicy\n');
  const r = expectError(
    await scrydon(addArgs('second', 'good', '--require-attestation', untyped), h),
    'policy_invalid',
  );
  assert.match(r.stderr, /needs predicateType/);
  // and with a source that verifies nothing, attestations have no signer
  const unsigned = await scrydon(
    [
      'source',
      'add',
      'second',
      '--type',
      'oci',
      '--url',
      `${registry.host}/acme/scrydon-catalog`,
      '--plain-http',
      '--signature-policy',
      'unsigned-allowed',
      '--require-attestation',
      policy,
    ],
    h,
  );
  expectError(unsigned, 'policy_invalid');
  assert.equal(await treeHash(h.home), before, 'sources.yaml and the home unchanged');
});

test('air gap: attest, save, load, reconcile --offline succeeds; the receipt travels; without the attestation the pack waits', async () => {
  // connected side: mirror the attested pack under the policy, then save everything
  const a = await env();
  await ok(addArgs('acme', 'good', '--require-attestation', policy), a);
  const mirrored = await reconcileRuns(a, '--mirror-only');
  assert.equal(mirrored.code, 0, JSON.stringify(mirrored.runs));
  const lockA = JSON.parse(await readFile(join(a.home, 'state', 'acme.lock.json'), 'utf8')) as Lock;
  const satisfied = lockA.packs[0]?.attestations?.[0];
  assert.ok(satisfied, JSON.stringify(lockA));
  assert.equal(satisfied.predicateType, SLSA1);
  assert.equal(satisfied.rule, `attestations[0] (${SLSA1})`);
  assert.match(satisfied.signer, /^key /);
  const withAtt = join(await tempDir(), 'with.tar');
  await ok(['save', '--all', '-o', withAtt], a);
  // the same store without the attestation's referrer entry, saved again
  const indexPath = join(a.home, 'catalog', 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Array<{ digest: string }> };
  const kept = index.manifests.filter((m) => m.digest !== satisfied.attestation);
  assert.equal(kept.length, index.manifests.length - 1, 'the attestation was a referrer entry of the store');
  await writeFile(indexPath, JSON.stringify({ ...index, manifests: kept }));
  const without = join(await tempDir(), 'without.tar');
  await ok(['save', '--all', '-o', without], a);

  // the disconnected side: load, reconcile --offline
  const b = await env();
  await ok(addArgs('acme', 'good', '--require-attestation', policy), b);
  await ok(['load', '-i', withAtt], b);
  const offline = await reconcileRuns(b, '--offline');
  assert.equal(offline.code, 0, JSON.stringify(offline.runs));
  assert.match(pack(offline.runs[0], 'acme.core').detail ?? '', /active; .*satisfied attestations\[0\]/);
  assert.deepEqual(
    (await json<Installed>(['installed'], b)).packs.map((p) => [p.id, p.status]),
    [['acme.core', 'active']],
  );
  const lockB = JSON.parse(await readFile(join(b.home, 'state', 'acme.lock.json'), 'utf8')) as Lock;
  assert.deepEqual(lockB.packs[0]?.attestations, [satisfied], 'the attestation that satisfied the rule there');
  const [receiptB] = await attestationReceipts(b.home, digests.get('acme.core') ?? '');
  assert.equal(receiptB?.attestation, satisfied.attestation);
  // inspect: the receipt verified here, and the one the archive carried from the connected side
  const inspected = await json<{
    attestationReceipts: Array<LockedAttestation & { carried: { archive: string } | null }>;
  }>(['inspect', 'acme.core:1.0.0'], b);
  assert.deepEqual(
    inspected.attestationReceipts.map((r) => [r.rule, r.attestation, r.signer, r.carried?.archive ?? 'local']),
    [
      [satisfied.rule, satisfied.attestation, satisfied.signer, 'local'],
      [satisfied.rule, satisfied.attestation, satisfied.signer, withAtt],
    ],
  );
  const inspectText = (await ok(['inspect', 'acme.core:1.0.0'], b)).stdout;
  assert.match(inspectText, /Attestation receipts \(2\):\n.*attestations\[0\].*local\n.*attestation sha256:/);
  assert.match(inspectText, /attestations\[0\] .*carried \(archive .*with\.tar/);
  // the catalog page's detail says the same
  const served = await startServe(b.home, [], b.env);
  try {
    const res = await fetch(`${served.url}/api/pack?ref=${encodeURIComponent('acme.core:1.0.0')}`);
    const detail = (await res.json()) as typeof inspected;
    assert.deepEqual(detail.attestationReceipts, inspected.attestationReceipts);
  } finally {
    await served.stop();
  }

  // --locked on a third home: the lock came in the archive and names the attestation
  const d = await env();
  await ok(addArgs('acme', 'good', '--require-attestation', policy), d);
  await ok(['load', '-i', withAtt], d);
  const locked = await reconcileRuns(d, '--offline', '--locked');
  assert.equal(locked.code, 0, JSON.stringify(locked.runs));
  const lockD = JSON.parse(await readFile(join(d.home, 'state', 'acme.lock.json'), 'utf8')) as Lock;
  assert.deepEqual(lockD.packs[0]?.attestations, [satisfied]);

  // the archive without the attestation: the pack waits for review, nothing installed, no receipt, no lock
  const c = await env();
  await ok(addArgs('acme', 'good', '--require-attestation', policy), c);
  await ok(['load', '-i', without], c);
  for (const attempt of [1, 2]) {
    // the revision of a run with a waiting pack is not recorded: the next run looks again (not `unchanged`)
    const waiting = await reconcileRuns(c, '--offline');
    assert.equal(waiting.runs[0]?.outcome, 'success', `run ${attempt}`);
    const core = pack(waiting.runs[0], 'acme.core');
    assert.equal(core.outcome, 'pending-review', `run ${attempt}`);
    assert.match(core.detail ?? '', /not installed, waiting for review: .*no attestation answers attestations\[0\]/);
  }
  assert.deepEqual((await json<Installed>(['installed'], c)).packs, []);
  assert.equal(await exists(join(c.home, 'packs', 'acme.core')), false);
  assert.deepEqual(await attestationReceipts(c.home, digests.get('acme.core') ?? ''), []);
  assert.equal(await exists(join(c.home, 'state', 'acme.lock.json')), false, 'a run with a waiting pack locks nothing');
});

test('--locked requires the attestation the lock pins: another that passes does not answer it; plain reconcile takes it', async () => {
  // one pack with two passing SLSA attestations (X and Y, told apart by invocationId)
  const p = await env();
  const key = join(keys, 'cosign.key');
  const provenance = JSON.parse(await readFile(join(keys, 'good.json'), 'utf8')) as Record<string, unknown>;
  const made = new Map<string, string>();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], p);
  await ok(['sign', 'acme.core:1.0.0', '--key', key], { ...p, env: { ...p.env, ...PW } });
  for (const id of ['a', 'b']) {
    const file = join(keys, `pin-${id}.json`);
    const runDetails = { ...(provenance.runDetails as object), metadata: { invocationId: id } };
    await writeFile(file, JSON.stringify({ ...provenance, runDetails }));
    const r = await json<{ attestation: string }>(
      ['attest', 'acme.core:1.0.0', '--type', 'slsaprovenance1', '--predicate', file, '--key', key],
      { ...p, env: { ...p.env, ...PW } },
    );
    made.set(r.attestation, id);
  }
  assert.equal(made.size, 2);
  await ok(['push', 'acme.core:1.0.0', `${registry.host}/pin/acme.core:1.0.0`, '--plain-http'], p);
  const pem = await readFile(join(keys, 'cosign.pub'), 'utf8');
  const url = `${registry.host}/pin/catalog`;
  await publishCatalog(
    registry.host,
    'pin/catalog',
    'catalog',
    ociCatalog([['acme.core', '1.0.0', `${registry.host}/pin/acme.core:1.0.0`, 'cosign-key', pem]]),
  );
  const add = (h: RunOptions, file: string) =>
    ok(addOciSourceArgs('pin', url, join(keys, 'cosign.pub'), '--ref', 'catalog', '--require-attestation', file), h);

  // the connected side locks one of them (X); the archive without X still carries Y and the lock naming X
  const a = await env();
  await add(a, policy);
  assert.equal((await reconcileRuns(a, '--mirror-only')).code, 0);
  const lock = JSON.parse(await readFile(join(a.home, 'state', 'pin.lock.json'), 'utf8')) as Lock;
  const x = lock.packs[0]?.attestations?.[0]?.attestation ?? '';
  assert.ok(made.has(x), JSON.stringify(lock));
  const y = [...made.keys()].find((k) => k !== x) ?? '';
  const full = join(await tempDir(), 'full.tar');
  await ok(['save', '--all', '-o', full], a);
  const indexPath = join(a.home, 'catalog', 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Array<{ digest: string }> };
  await writeFile(indexPath, JSON.stringify({ ...index, manifests: index.manifests.filter((m) => m.digest !== x) }));
  const withoutX = join(await tempDir(), 'without-x.tar');
  await ok(['save', '--all', '-o', withoutX], a);

  // X absent, Y present and valid: --locked waits, naming the pinned digest and the rule; plain reconcile installs Y
  const d = await env();
  await add(d, policy);
  await ok(['load', '-i', withoutX], d);
  const locked = await reconcileRuns(d, '--offline', '--locked');
  const waiting = pack(locked.runs[0], 'acme.core');
  assert.equal(waiting.outcome, 'pending-review', JSON.stringify(locked.runs));
  assert.equal(waiting.code, 'attestation_not_found');
  assert.ok(waiting.detail?.includes(`attestations[0] (${SLSA1}): the lock pins attestation ${x}`), waiting.detail);
  assert.deepEqual((await json<Installed>(['installed'], d)).packs, []);
  assert.equal(await exists(join(d.home, 'packs', 'acme.core')), false);
  const plain = await reconcileRuns(d, '--offline');
  assert.equal(plain.code, 0, JSON.stringify(plain.runs));
  assert.ok(pack(plain.runs[0], 'acme.core').detail?.includes(`attestation ${y} satisfied`));
  assert.deepEqual(
    (await json<Installed>(['installed'], d)).packs.map((q) => [q.id, q.status]),
    [['acme.core', 'active']],
  );
  const relocked = JSON.parse(await readFile(join(d.home, 'state', 'pin.lock.json'), 'utf8')) as Lock;
  assert.equal(relocked.packs[0]?.attestations?.[0]?.attestation, y);

  // X present but failing (a policy only Y meets): verify_failed, though Y passes; plain reconcile installs Y
  const onlyY = join(keys, 'only-y.yaml');
  await writeFile(
    onlyY,
    (await readFile(policy, 'utf8')) + `  - path: runDetails.metadata.invocationId\n    exact: ${made.get(y)}\n`,
  );
  const e = await env();
  await add(e, onlyY);
  await ok(['load', '-i', full], e);
  const failing = await reconcileRuns(e, '--offline', '--locked');
  const refused = pack(failing.runs[0], 'acme.core');
  assert.equal(refused.code, 'verify_failed', JSON.stringify(failing.runs));
  assert.match(refused.detail ?? '', /attestations\[0\].*failed \(the attestation the lock pins\): predicate_mismatch/);
  assert.deepEqual((await json<Installed>(['installed'], e)).packs, []);
  const fixed = await reconcileRuns(e, '--offline');
  assert.equal(fixed.code, 0, JSON.stringify(fixed.runs));
  assert.ok(pack(fixed.runs[0], 'acme.core').detail?.includes(`attestation ${y} satisfied`));
});

/** A keyless signature and a keyless SLSA attestation (fake Fulcio/Rekor), as bundle referrers of a stored pack. */
async function keylessSignedAndAttested(home: string, ref: string, s: FakeSigstore, repository: string): Promise<void> {
  const store = await Store.open(join(home, 'catalog'));
  const subject = await store.resolve(ref);
  const claims = [
    { oid: '1.3.6.1.4.1.57264.1.11', value: 'github-hosted' },
    { oid: '1.3.6.1.4.1.57264.1.12', value: repository },
  ];
  const predicate = {
    buildDefinition: { externalParameters: { workflow: { repository } } },
    runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
  };
  const at = '2026-01-01T00:00:00Z';
  for (const r of [
    bundleReferrer(
      subject,
      await keylessBundle(s, await s.issue(), signStatement(subject.digest)),
      COSIGN_SIGN_PREDICATE,
      at,
    ),
    bundleReferrer(
      subject,
      await keylessBundle(s, await s.issue(IDENTITY, ISSUER, claims), statement(subject.digest, SLSA1, predicate)),
      SLSA1,
      at,
    ),
  ])
    for (const part of [r.config, r.layer, r.manifest])
      if (!(await store.exists(part.descriptor))) await store.push(part.descriptor, Readable.from([part.bytes]));
}

test('keyless: a rule on the certificate claims; the right source repository installs, a fork is verify_failed', async () => {
  const sigstore = await fakeSigstore();
  const p = await env();
  const kl = new Map<string, string>();
  for (const [dir, id, version, repository] of [
    ['acme-core', 'acme.core', '1.0.0', 'https://github.com/acme/app'],
    ['acme-payments-integration', 'acme.payments', '0.3.0', 'https://github.com/mallory/app'],
  ] as const) {
    kl.set(id, (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', dir)], p)).digest);
    await keylessSignedAndAttested(p.home, `${id}:${version}`, sigstore, repository);
    await ok(['push', `${id}:${version}`, `${registry.host}/kl/${id}:${version}`, '--plain-http'], p);
  }
  await publishCatalog(
    registry.host,
    'kl/catalog',
    'catalog',
    ociCatalog([
      ['acme.core', '1.0.0', `${registry.host}/kl/acme.core@${kl.get('acme.core')}`, 'cosign-keyless'],
      ['acme.payments', '0.3.0', `${registry.host}/kl/acme.payments@${kl.get('acme.payments')}`, 'cosign-keyless'],
    ]),
  );
  const o = await env();
  const root = join(await tempDir(), 'trusted_root.json');
  await writeFile(root, JSON.stringify(sigstore.trustedRoot));
  await ok(['trust', 'import', root], o);
  const klPolicy = join(await tempDir(), 'keyless-provenance.yaml');
  await writeFile(
    klPolicy,
    [
      'apiVersion: scrydon.io/v1',
      'kind: AttestationPolicy',
      `predicateType: ${SLSA1}`,
      'certificate:',
      '  sourceRepositoryUri: { exact: https://github.com/acme/app }',
      '  runnerEnvironment: { exact: github-hosted }',
      'predicate:',
      '  - path: buildDefinition.externalParameters.workflow.repository',
      '    exact: https://github.com/acme/app',
      '',
    ].join('\n'),
  );
  await ok(
    [
      'source',
      'add',
      'kl',
      '--type',
      'oci',
      '--url',
      `${registry.host}/kl/catalog`,
      '--plain-http',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--require-attestation',
      klPolicy,
    ],
    o,
  );
  const { code, runs } = await reconcileRuns(o);
  assert.equal(code, 1, JSON.stringify(runs));
  const core = pack(runs[0], 'acme.core');
  assert.equal(core.outcome, 'installed', JSON.stringify(runs));
  assert.match(core.detail ?? '', /active; signed by .*attestation sha256:[a-f0-9]{64} satisfied attestations\[0\]/);
  const fork = pack(runs[0], 'acme.payments');
  assert.equal(fork.code, 'verify_failed');
  assert.match(fork.detail ?? '', /certificate_mismatch: .*sourceRepositoryUri .*mallory/);
  assert.deepEqual(
    (await json<Installed>(['installed'], o)).packs.map((x) => [x.id, x.status]),
    [['acme.core', 'active']],
  );
  const [receipt] = await attestationReceipts(o.home, kl.get('acme.core') ?? '');
  assert.equal(receipt?.signer, `${IDENTITY} (issuer ${ISSUER})`);
});
