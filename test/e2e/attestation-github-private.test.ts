import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { Store } from '../../src/store/store-target.js';
import { statement } from '../helpers/attestation-fixtures.js';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash, type RunOptions } from '../helpers/cli.js';
import { ociCatalog, publishCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { writeSmallPackDir } from '../helpers/small-pack.js';
import {
  fakeSigstore,
  IDENTITY,
  ISSUER,
  keylessBundle,
  KEYLESS_FLAGS,
  type EvidenceOptions,
  type FakeSigstore,
} from '../helpers/sigstore-fixtures.js';

/**
 * The shape GitHub's attest actions write for a PRIVATE repository, verified offline.
 *
 * Sources: actions/toolkit `packages/attest/src/endpoints.ts` (a repository that is not public signs with
 * `SIGSTORE_GITHUB`: Fulcio at fulcio.githubapp.com and a TSA at timestamp.githubapp.com, no Rekor URL), so the
 * Sigstore bundle v0.3 (DSSE) has `verificationMaterial.certificate` and
 * `timestampVerificationData.rfc3161Timestamps` and an empty `tlogEntries`; GitHub's Fulcio has no CT log, so the
 * certificate carries no SCT; its trusted root (`gh attestation trusted-root`) holds `certificateAuthorities` and
 * `timestampAuthorities` and no tlogs or ctlogs. cli/cli `pkg/cmd/attestation/verification/sigstore.go`
 * (`newGitHubVerifierWithTrustedRoot`) verifies it with sigstore-go `WithSignedTimestamps(1)` alone: no
 * transparency log, no SCT. Here @sigstore/mock stands in for that Fulcio (a CA with no CT log, certificates with
 * GitHub's workflow extensions) and that TSA (`fakeSigstore({ github: true })`).
 *
 * scrydon accepts it when, and only when, a TSA of the imported trusted root signed the timestamp over the
 * signature and the certificate chains to its CA and was valid at that time: a timestamp by another TSA, none at
 * all, a certificate expired at the stamped time, a tampered statement, and a root that lists CT logs (so an SCT is
 * required) all fail. `scrydon verify` (signatures) shares the path, and so does reconcile's attestation gate.
 */

const SLSA1 = 'https://slsa.dev/provenance/v1';
const REPO = 'https://github.com/acme/private-app';
const CLAIMS = [
  { oid: '1.3.6.1.4.1.57264.1.9', value: IDENTITY },
  { oid: '1.3.6.1.4.1.57264.1.11', value: 'github-hosted' },
  { oid: '1.3.6.1.4.1.57264.1.12', value: REPO },
  { oid: '1.3.6.1.4.1.57264.1.14', value: 'refs/tags/v1' },
];
const TSA_ONLY: EvidenceOptions = { tlog: false, tsa: true };

let github: FakeSigstore; // GitHub's private instance: the trusted one
let other: FakeSigstore; // another instance of the same shape: its TSA is not trusted
let home: string;
let roots: string;
const refs = new Map<string, string>();

function provenance(digest: string): Buffer {
  return statement(digest, SLSA1, {
    buildDefinition: { externalParameters: { workflow: { repository: REPO, ref: 'refs/tags/v1' } } },
    runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
  });
}

async function putReferrer(store: Store, subject: Descriptor, bundle: Buffer, predicateType: string): Promise<void> {
  const r = bundleReferrer(subject, bundle, predicateType, '2026-01-01T00:00:00Z');
  for (const p of [r.config, r.layer, r.manifest])
    if (!(await store.exists(p.descriptor))) await store.push(p.descriptor, Readable.from([p.bytes]));
}

/** A pack built by the CLI in `h` whose SLSA attestation (and, with `sign`, signature) GitHub's private shape made. */
async function attestedPack(
  h: RunOptions & { home: string },
  id: string,
  o: EvidenceOptions,
  edit: (b: Buffer) => Buffer = (b) => b,
  sign = false,
): Promise<string> {
  const dir = join(await tempDir(), id);
  await writeSmallPackDir(dir, id, '1.0.0');
  await ok(['build', dir], h);
  const store = await Store.open(join(h.home, 'catalog'));
  const subject = await store.resolve(`${id}:1.0.0`);
  const signer = await github.issue(IDENTITY, ISSUER, CLAIMS);
  await putReferrer(store, subject, edit(await keylessBundle(github, signer, provenance(subject.digest), o)), SLSA1);
  if (sign) {
    const bundle = await keylessBundle(github, await github.issue(), signStatement(subject.digest), TSA_ONLY);
    await putReferrer(store, subject, bundle, COSIGN_SIGN_PREDICATE);
  }
  return subject.digest;
}

/** The DSSE payload replaced by another statement of the same subject: the signature no longer covers it. */
function tampered(b: Buffer): Buffer {
  const j = JSON.parse(b.toString('utf8')) as { dsseEnvelope: { payload: string } };
  const st = JSON.parse(Buffer.from(j.dsseEnvelope.payload, 'base64').toString('utf8')) as {
    predicate: { runDetails: { builder: { id: string } } };
  };
  st.predicate.runDetails.builder.id = 'https://github.com/actions/runner/self-hosted';
  j.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
  return Buffer.from(JSON.stringify(j));
}

function verifyArgs(id: string, ...extra: string[]): string[] {
  return ['verify-attestation', `${id}:1.0.0`, '--type', 'slsaprovenance1', ...KEYLESS_FLAGS, ...extra];
}

async function refused(args: string[], code: string): Promise<string> {
  const before = await treeHash(home);
  const r = expectError(await scrydon(args, { home }), code);
  assert.equal(await treeHash(home), before, `${args.join(' ')} changed the store`);
  return r.stderr;
}

async function rootFile(name: string, root: Record<string, unknown>): Promise<string> {
  const path = join(roots, name);
  await writeFile(path, JSON.stringify(root));
  return path;
}

before(async () => {
  github = await fakeSigstore({ github: true });
  other = await fakeSigstore({ github: true });
  roots = await tempDir();
  home = await tempDir();
  await ok(['trust', 'import', await rootFile('github.json', github.trustedRoot)], { home });
  const h = { home };
  refs.set('good', await attestedPack(h, 'gh.good', TSA_ONLY, undefined, true));
  refs.set('foreign', await attestedPack(h, 'gh.foreign', { ...TSA_ONLY, tsaOf: other }));
  refs.set('none', await attestedPack(h, 'gh.none', { tlog: false, tsa: false }));
  refs.set('late', await attestedPack(h, 'gh.late', { ...TSA_ONLY, tsaClockOffsetMs: 11 * 60_000 }));
  refs.set('tampered', await attestedPack(h, 'gh.tampered', TSA_ONLY, tampered));
});

after(cleanupTemps);

describe("GitHub's private-repository attestations (TSA timestamp, no transparency log, no SCT)", () => {
  test('verify against the imported GitHub trusted root: identity, claims and the TSA time', async () => {
    const v = await json<{
      verified: Array<{
        format: string;
        signer: { kind: string; identity: string };
        certificate: Record<string, string>;
        signedAt: string[];
        transparencyLog: { entries: number; checked: boolean };
        tsaTimestamps: number;
      }>;
    }>(verifyArgs('gh.good', '--source-repository', REPO, '--github-hosted-runner'), { home });
    const a = v.verified[0];
    assert.equal(a?.format, 'bundle');
    assert.equal(a?.signer.identity, IDENTITY);
    assert.equal(a?.certificate.sourceRepositoryUri, REPO);
    assert.equal(a?.transparencyLog.entries, 0, 'no log entry: the TSA time is the evidence');
    assert.equal(a?.signedAt.length, 1);
    assert.equal(a?.tsaTimestamps, 1);
    const text = await ok(verifyArgs('gh.good'), { home });
    assert.match(text.stdout, /timestamp authority: 1 timestamp\(s\) verified/);
    await refused(
      verifyArgs('gh.good', '--source-repository', 'https://github.com/acme/other'),
      'certificate_mismatch',
    );
  });

  test('the same shape as a signature: scrydon verify shares the path', async () => {
    const v = await json<{ verified: Array<{ tsaTimestamps: number; transparencyLog: { entries: number } }> }>(
      ['verify', 'gh.good:1.0.0', ...KEYLESS_FLAGS],
      { home },
    );
    assert.deepEqual(
      v.verified.map((s) => [s.tsaTimestamps, s.transparencyLog.entries]),
      [[1, 0]],
    );
  });

  test('a timestamp from a TSA the trusted root does not list is refused', async () => {
    assert.match(await refused(verifyArgs('gh.foreign'), 'timestamp_invalid'), /timestamp/);
    // the good attestation under a root whose TSA is another one (its own CA is there too): refused as well
    const otherTsa = await rootFile('other-tsa.json', {
      ...github.trustedRoot,
      timestampAuthorities: other.trustedRoot.timestampAuthorities,
    });
    await refused(verifyArgs('gh.good', '--trusted-root', otherTsa), 'timestamp_invalid');
    const noTsa = await rootFile('no-tsa.json', { ...github.trustedRoot, timestampAuthorities: [] });
    await refused(verifyArgs('gh.good', '--trusted-root', noTsa), 'timestamp_invalid');
  });

  test('neither a log entry nor a timestamp: refused', async () => {
    assert.match(await refused(verifyArgs('gh.none'), 'timestamp_missing'), /neither a log entry/);
  });

  test('a certificate that had expired at the stamped time is refused', async () => {
    await refused(verifyArgs('gh.late'), 'certificate_expired');
  });

  test('a tampered statement is refused', async () => {
    await refused(verifyArgs('gh.tampered'), 'signature_invalid');
  });

  test("`gh attestation trusted-root`'s two roots in one file are refused with a hint; its GitHub line imports", async () => {
    const both = join(roots, 'gh-trusted-root.jsonl');
    const lines = [(await fakeSigstore()).trustedRoot, github.trustedRoot].map((r) => JSON.stringify(r));
    await writeFile(both, lines.join('\n') + '\n');
    const bare = { home: await tempDir() };
    const r = expectError(await scrydon(['trust', 'import', both], bare), 'trust_invalid');
    assert.match(r.stderr, /holds 2 trusted roots, one per line/);
    assert.match(r.stderr, /fulcio\.githubapp\.com/);
    const line = lines.find((l) => l.includes('fulcio.githubapp.com')) ?? '';
    await writeFile(join(roots, 'gh-line.json'), line);
    await ok(['trust', 'import', join(roots, 'gh-line.json')], bare);
  });

  test('a trusted root that lists a CT log requires an SCT, which these certificates lack', async () => {
    const withCt = await rootFile('with-ct.json', {
      ...github.trustedRoot,
      ctlogs: (await fakeSigstore()).trustedRoot.ctlogs,
    });
    assert.match(
      await refused(verifyArgs('gh.good', '--trusted-root', withCt), 'certificate_untrusted'),
      /carries no SCT, and the trusted root lists CT logs/,
    );
  });
});

describe("reconcile's attestation gate", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  test('a GitHub private attestation installs the pack; one stamped by an untrusted TSA is verify_failed', async () => {
    const p = { home: await tempDir() };
    const digests = new Map<string, string>();
    for (const [id, o] of [
      ['gh.app', TSA_ONLY],
      ['gh.forged', { ...TSA_ONLY, tsaOf: other }],
    ] as const) {
      digests.set(id, await attestedPack(p, id, o, undefined, true));
      await ok(['push', `${id}:1.0.0`, `${registry.host}/gh/${id}:1.0.0`, '--plain-http'], p);
    }
    await publishCatalog(
      registry.host,
      'gh/catalog',
      'catalog',
      ociCatalog(
        [...digests].map(([id, d]) => [id, '1.0.0', `${registry.host}/gh/${id}@${d}`, 'cosign-keyless'] as const),
      ),
    );
    const o = { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
    await ok(['trust', 'import', join(roots, 'github.json')], o);
    const policy = join(roots, 'private-provenance.yaml');
    await writeFile(
      policy,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        `predicateType: ${SLSA1}`,
        'certificate:',
        `  sourceRepositoryUri: { exact: ${REPO} }`,
        '',
      ].join('\n'),
    );
    const url = `${registry.host}/gh/catalog`;
    const required = ['--require-attestation', policy];
    await ok(['source', 'add', 'gh', '--type', 'oci', '--url', url, '--plain-http', ...KEYLESS_FLAGS, ...required], o);
    const r = await scrydon(['reconcile', '--json'], o);
    const runs = JSON.parse(r.stdout) as Array<{
      packs: Array<{ id: string; outcome: string; code?: string; detail?: string }>;
    }>;
    const packs = new Map(runs[0]?.packs.map((x) => [x.id, x]));
    assert.equal(packs.get('gh.app')?.outcome, 'installed', r.stdout);
    assert.equal(packs.get('gh.forged')?.code, 'verify_failed', r.stdout);
    assert.match(packs.get('gh.forged')?.detail ?? '', /timestamp_invalid/);
    assert.deepEqual(
      (await json<{ packs: Array<{ id: string; status: string }> }>(['installed'], o)).packs.map((x) => [
        x.id,
        x.status,
      ]),
      [['gh.app', 'active']],
    );
  });
});
