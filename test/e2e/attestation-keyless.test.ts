import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  attImage,
  bundleReferrer,
  dsseSign,
  envelope,
  headManifest,
  pushAtt,
  pushReferrer,
  statement,
  type Desc,
} from '../helpers/attestation-fixtures.js';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { fakeSigstore, IDENTITY, ISSUER, keylessBundle, type FakeSigstore } from '../helpers/sigstore-fixtures.js';

/**
 * Keyless attestations as GitHub's attest actions make them: a Fulcio certificate (an in-process @sigstore/mock CA)
 * for a workflow identity, with the GitHub claims Fulcio writes as extensions (sigstore/fulcio docs/oid-info.md:
 * .1.9 build signer URI, .1.11 runner environment, .1.12 source repository URI, .1.14 source repository ref, .1.18
 * build config URI), logged in a mock Rekor; verified offline against the imported trusted root.
 */

const SLSA1 = 'https://slsa.dev/provenance/v1';
const REPO = 'https://github.com/acme/app';
const WORKFLOW = 'acme/app/.github/workflows/release.yml';

function githubClaims(runner: string): Array<{ oid: string; value: string }> {
  return [
    { oid: '1.3.6.1.4.1.57264.1.9', value: IDENTITY },
    { oid: '1.3.6.1.4.1.57264.1.11', value: runner },
    { oid: '1.3.6.1.4.1.57264.1.12', value: REPO },
    { oid: '1.3.6.1.4.1.57264.1.14', value: 'refs/tags/v1' },
    { oid: '1.3.6.1.4.1.57264.1.18', value: IDENTITY },
  ];
}

let registry: RunningRegistry;
let reg: string;
let sigstore: FakeSigstore;
let home: string; // trusts the mock Sigstore; holds kl/hosted:1 and kl/self:1, each with a keyless SLSA attestation
let policyDir: string;

async function refused(args: string[], code: string): Promise<string> {
  const before = await treeHash(home);
  const r = expectError(await scrydon(args, { home }), code);
  assert.equal(await treeHash(home), before, `${args.join(' ')} changed the store`);
  return r.stderr;
}

function verify(repo: string, ...extra: string[]): string[] {
  return [
    'verify-attestation',
    `${reg}/kl/${repo}:1`,
    '--type',
    'slsaprovenance1',
    '--certificate-identity',
    IDENTITY,
    '--certificate-oidc-issuer',
    ISSUER,
    ...extra,
  ];
}

before(async () => {
  registry = await startRegistry();
  reg = registry.host;
  sigstore = await fakeSigstore();
  policyDir = await tempDir();
  const publisher = await tempDir();
  // two packs: attestations are kept by digest, so each runner's attestation needs an artifact of its own
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: publisher });
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: publisher });
  await ok(['build', join(FIXTURES, 'packs', 'acme-payments-integration')], { home: publisher });
  home = await tempDir();
  await writeFile(join(policyDir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  await ok(['trust', 'import', join(policyDir, 'trusted_root.json')], { home });
  for (const [repo, runner, pack] of [
    ['hosted', 'github-hosted', 'acme.fraud:1.2.0'],
    ['self', 'self-hosted', 'acme.core:1.0.0'],
  ] as const) {
    await ok(['push', pack, `${reg}/kl/${repo}:1`, '--plain-http'], { home: publisher });
    const subject = await headManifest(reg, `kl/${repo}`, '1');
    const signer = await sigstore.issue(IDENTITY, ISSUER, githubClaims(runner));
    const st = statement(subject.digest, SLSA1, {
      buildDefinition: { externalParameters: { workflow: { repository: REPO, ref: 'refs/tags/v1' } } },
      runDetails: { builder: { id: `https://github.com/actions/runner/${runner}` } },
    });
    const bundle = await keylessBundle(sigstore, signer, st);
    await pushReferrer(reg, `kl/${repo}`, subject, bundleReferrer(subject, bundle, SLSA1));
    await ok(['pull', `${reg}/kl/${repo}:1`, '--plain-http'], { home });
  }
  await ok(['push', 'acme.payments:0.3.0', `${reg}/kl/legacy:1`, '--plain-http'], { home: publisher });
  const subject = await headManifest(reg, 'kl/legacy', '1');
  await keylessAtt(subject, statement(subject.digest, SLSA1, { runDetails: { builder: { id: 'x' } } }));
  await ok(['pull', `${reg}/kl/legacy:1`, '--plain-http'], { home });
});

/**
 * A keyless legacy `.att` layer as cosign writes it with a transparency log: the envelope, the certificate and chain
 * annotations, and a Rekor bundle whose `dsse` 0.0.1 entry records the statement's hash and the signature.
 */
async function keylessAtt(subject: Desc, st: Buffer): Promise<void> {
  const signer = await sigstore.issue(IDENTITY, ISSUER, githubClaims('github-hosted'));
  const sig = dsseSign(st, signer.privateKey);
  const env = envelope(st, signer.privateKey, sig);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const e = await sigstore.log({
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(env) },
      payloadHash: { algorithm: 'sha256', value: sha(st) },
      signatures: [{ signature: sig.toString('base64'), verifier: Buffer.from(signer.certPem).toString('base64') }],
    },
  });
  const annotations = {
    'dev.sigstore.cosign/bundle': JSON.stringify({
      SignedEntryTimestamp: e.verification.signedEntryTimestamp,
      Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID },
    }),
    'dev.sigstore.cosign/certificate': signer.certPem,
    'dev.sigstore.cosign/chain': signer.rootPem,
  };
  await pushAtt(reg, 'kl/legacy', subject, attImage([{ envelope: env, predicateType: SLSA1, annotations }]));
}

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('keyless attestations with GitHub workflow claims', () => {
  test('the right identity, issuer, repository, ref, workflow and a GitHub-hosted runner verify', async () => {
    const v = await json<{
      verified: Array<{ signer: { kind: string; identity: string }; certificate: Record<string, string> }>;
    }>(
      verify(
        'hosted',
        '--source-repository',
        REPO,
        '--source-ref',
        'refs/tags/v1',
        '--signer-workflow',
        WORKFLOW,
        '--github-hosted-runner',
      ),
      { home },
    );
    const a = v.verified[0];
    assert.equal(a?.signer.kind, 'certificate');
    assert.equal(a?.signer.identity, IDENTITY);
    assert.equal(a?.certificate.sourceRepositoryUri, REPO);
    assert.equal(a?.certificate.sourceRepositoryRef, 'refs/tags/v1');
    assert.equal(a?.certificate.runnerEnvironment, 'github-hosted');
    assert.equal(a?.certificate.buildSignerUri, IDENTITY);
  });

  test('another repository, ref or workflow is refused', async () => {
    assert.match(
      await refused(verify('hosted', '--source-repository', 'https://github.com/acme/other'), 'certificate_mismatch'),
      /sourceRepositoryUri \(1\.3\.6\.1\.4\.1\.57264\.1\.12\) is "https:\/\/github\.com\/acme\/app"/,
    );
    await refused(verify('hosted', '--source-ref', 'refs/heads/main'), 'certificate_mismatch');
    await refused(
      verify('hosted', '--signer-workflow', 'acme/app/.github/workflows/other.yml'),
      'certificate_mismatch',
    );
    // a workflow name that only starts like the real one
    await refused(verify('hosted', '--signer-workflow', 'acme/app/.github/workflows/release'), 'certificate_mismatch');
  });

  test('another issuer or identity is refused', async () => {
    const args = verify('hosted');
    const i = args.indexOf(ISSUER);
    await refused([...args.slice(0, i), 'https://accounts.example.com', ...args.slice(i + 1)], 'issuer_mismatch');
    const j = args.indexOf(IDENTITY);
    await refused(
      [
        ...args.slice(0, j),
        'https://github.com/acme/app/.github/workflows/other.yml@refs/tags/v1',
        ...args.slice(j + 1),
      ],
      'identity_mismatch',
    );
  });

  test('a self-hosted runner is refused when a GitHub-hosted one is required', async () => {
    await json(verify('self', '--source-repository', REPO), { home });
    assert.match(await refused(verify('self', '--github-hosted-runner'), 'certificate_mismatch'), /"self-hosted"/);
  });

  test('a policy file states certificate claims and predicate fields', async () => {
    const policy = join(policyDir, 'release-policy.yaml');
    await writeFile(
      policy,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        'certificate:',
        '  sourceRepositoryUri: { exact: https://github.com/acme/app }',
        "  buildSignerUri: { regexp: '^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/' }",
        '  runnerEnvironment: { exact: github-hosted }',
        'predicate:',
        '  - path: buildDefinition.externalParameters.workflow.repository',
        '    exact: https://github.com/acme/app',
      ].join('\n'),
    );
    const v = await json<{ verified: Array<{ checked: { certificate: string[]; predicate: string[] } }> }>(
      verify('hosted', '--policy', policy),
      { home },
    );
    assert.deepEqual(v.verified[0]?.checked.certificate.sort(), [
      'buildSignerUri',
      'runnerEnvironment',
      'sourceRepositoryUri',
    ]);
    await refused(verify('self', '--policy', policy), 'certificate_mismatch');
  });

  test("a keyless legacy .att layer (cosign's Rekor dsse entry) verifies, and its claims are checked", async () => {
    const v = await json<{
      verified: Array<{ format: string; transparencyLog: { entries: number; checked: boolean } }>;
    }>(verify('legacy', '--source-repository', REPO, '--github-hosted-runner'), { home });
    assert.deepEqual(
      v.verified.map((a) => [a.format, a.transparencyLog.entries, a.transparencyLog.checked]),
      [['legacy', 1, true]],
    );
    await refused(verify('legacy', '--source-repository', 'https://github.com/acme/other'), 'certificate_mismatch');
  });

  test('a keyless attestation is not verified with a key, nor without a trusted root', async () => {
    const keys = await tempDir();
    await ok(['key', 'generate', '--dir', keys], { env: { COSIGN_PASSWORD: 'pw' } });
    await refused(
      ['verify-attestation', `${reg}/kl/hosted:1`, '--type', 'slsaprovenance1', '--key', join(keys, 'cosign.pub')],
      'key_mismatch',
    );
    const bare = await tempDir();
    await ok(['pull', `${reg}/kl/hosted:1`, '--plain-http'], { home: bare });
    const before = await treeHash(bare);
    expectError(await scrydon(verify('hosted'), { home: bare }), 'trust_missing');
    assert.equal(await treeHash(bare), before);
  });
});
