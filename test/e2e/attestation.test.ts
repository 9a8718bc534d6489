import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  attImage,
  bundleReferrer,
  dsseSign,
  envelope,
  headManifest,
  keyBundle,
  pushAtt,
  pushReferrer,
  statement,
  type Desc,
} from '../helpers/attestation-fixtures.js';
import { cleanupTemps, expectError, FIXTURES, json, ok, ROOT, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * Attestations (issue 21): `scrydon attest` writes in-toto statements signed as cosign 3 writes them (a Sigstore
 * bundle v0.3 referrer) or as cosign's legacy `.att` tag; `verify-attestation` checks them offline. An independent
 * signer (test/helpers/attestation-fixtures.ts: cosign's shapes by hand, Node crypto, the registry API) proves the
 * formats are cosign's and not only scrydon's own. Every refusal leaves the store byte for byte as it was.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const SLSA1 = 'https://slsa.dev/provenance/v1';
const SPDX = 'https://spdx.dev/Document';
const PROVENANCE = {
  buildDefinition: {
    buildType: 'https://actions.github.io/buildtypes/workflow/v1',
    externalParameters: {
      workflow: {
        repository: 'https://github.com/acme/app',
        ref: 'refs/tags/v1.2.0',
        path: '.github/workflows/release.yml',
      },
    },
  },
  runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted', version: { runner: '2.321.0' } } },
};
const SBOM = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'acme.fraud', packages: [] };

let registry: RunningRegistry;
let reg: string;
let keys: string;
let pub: string; // the publisher's home: acme.fraud built, attested by scrydon in both forms
let digest: string;

interface Verified {
  digest: string;
  predicateType: string;
  verified: Array<{ format: string; foundAs: string; subjects: string[]; signer: { kind: string } }>;
}

function verifyArgs(ref: string, type: string, ...extra: string[]): string[] {
  return ['verify-attestation', ref, '--type', type, '--key', join(keys, 'cosign.pub'), ...extra];
}

/** Both forms verify on `home`: SLSA v1 provenance as a bundle referrer, the SPDX SBOM as a legacy `.att` layer. */
async function bothVerify(home: string, ref: string, ...extra: string[]): Promise<void> {
  const slsa = await json<Verified>(verifyArgs(ref, 'slsaprovenance1', ...extra), { home });
  assert.deepEqual(
    slsa.verified.map((v) => v.format),
    ['bundle'],
  );
  assert.equal(slsa.predicateType, SLSA1);
  const spdx = await json<Verified>(verifyArgs(ref, 'spdxjson', ...extra), { home });
  assert.deepEqual(
    spdx.verified.map((v) => v.format),
    ['legacy'],
  );
  assert.equal(spdx.verified[0]?.subjects[0], digest);
}

/** Runs a command that must fail with `code`, and checks that the home did not change. */
async function refused(args: string[], home: string, code: string): Promise<string> {
  const before = await treeHash(home);
  const r = expectError(await scrydon(args, { home }), code);
  assert.equal(await treeHash(home), before, `${args.join(' ')} changed ${home}`);
  return r.stderr;
}

before(async () => {
  registry = await startRegistry();
  reg = registry.host;
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  await writeFile(join(keys, 'provenance.json'), JSON.stringify(PROVENANCE));
  await writeFile(join(keys, 'sbom.spdx.json'), JSON.stringify(SBOM));
  pub = await tempDir();
  digest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: pub })).digest;
  const key = join(keys, 'cosign.key');
  await ok(
    [
      'attest',
      'acme.fraud:1.2.0',
      '--predicate',
      join(keys, 'provenance.json'),
      '--type',
      'slsaprovenance1',
      '--key',
      key,
    ],
    {
      home: pub,
      env: PW,
    },
  );
  await ok(
    [
      'attest',
      'acme.fraud:1.2.0',
      '--predicate',
      join(keys, 'sbom.spdx.json'),
      '--type',
      'spdxjson',
      '--key',
      key,
      '--legacy',
    ],
    { home: pub, env: PW },
  );
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('scrydon attest, then verify-attestation with a key', () => {
  test('a bundle referrer and a legacy .att layer verify by their type', async () => {
    await bothVerify(pub, 'acme.fraud:1.2.0');
  });

  test('an attestation of another type never satisfies --type, and an attestation is no signature', async () => {
    const msg = await refused(verifyArgs('acme.fraud:1.2.0', 'cyclonedx'), pub, 'attestation_not_found');
    assert.match(msg, /found only: .*slsa\.dev\/provenance\/v1.*spdx\.dev\/Document/);
    // cosign's slsaprovenance is SLSA v0.2: the v1 provenance does not answer it
    await refused(verifyArgs('acme.fraud:1.2.0', 'slsaprovenance'), pub, 'attestation_not_found');
    await refused(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub')], pub, 'signature_not_found');
  });

  test('another key is refused', async () => {
    const other = await tempDir();
    await ok(['key', 'generate', '--dir', other], { env: PW });
    await refused(
      ['verify-attestation', 'acme.fraud:1.2.0', '--type', 'slsaprovenance1', '--key', join(other, 'cosign.pub')],
      pub,
      'key_mismatch',
    );
    await refused(
      ['verify-attestation', 'acme.fraud:1.2.0', '--type', 'spdxjson', '--key', join(other, 'cosign.pub')],
      pub,
      'signature_invalid',
    );
  });

  test('inspect lists the attestations with predicate type, signer and subject', async () => {
    const r = await json<{
      attestations: Array<{ predicateType: string; format: string; signer: string | null; subjects: string[] }>;
    }>(['inspect', 'acme.fraud:1.2.0'], { home: pub });
    const byType = new Map(r.attestations.map((a) => [a.predicateType, a]));
    assert.deepEqual([...byType.keys()].sort(), [SLSA1, SPDX]);
    assert.equal(byType.get(SLSA1)?.format, 'bundle');
    assert.match(byType.get(SLSA1)?.signer ?? '', /^key sha256:[0-9a-f]{64}$/);
    assert.equal(byType.get(SPDX)?.format, 'legacy');
    for (const a of r.attestations) assert.deepEqual(a.subjects, [digest]);
    const text = await ok(['inspect', 'acme.fraud:1.2.0'], { home: pub });
    assert.match(text.stdout, /Attestations \(2, not verified/);
  });

  test('a policy file checks predicate fields: exact, regexp, semver', async () => {
    const policy = join(keys, 'provenance-policy.yaml');
    await writeFile(
      policy,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        `predicateType: ${SLSA1}`,
        'predicate:',
        '  - path: buildDefinition.externalParameters.workflow.repository',
        '    exact: https://github.com/acme/app',
        '  - path: runDetails.builder.id',
        "    regexp: '^https://github\\.com/actions/runner/github-hosted$'",
        '  - path: runDetails.builder.version.runner',
        "    semver: '>=2.300.0 <3'",
      ].join('\n'),
    );
    const v = await json<{ verified: Array<{ checked: { predicate: string[] } }> }>(
      ['verify-attestation', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub'), '--policy', policy],
      { home: pub },
    );
    assert.equal(v.verified[0]?.checked.predicate.length, 3);
    const strict = join(keys, 'strict-policy.yaml');
    await writeFile(
      strict,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        'predicate:',
        '  - path: runDetails.builder.version.runner',
        "    semver: '>=3'",
      ].join('\n'),
    );
    const msg = await refused(
      verifyArgs('acme.fraud:1.2.0', 'slsaprovenance1', '--policy', strict),
      pub,
      'predicate_mismatch',
    );
    assert.match(msg, /runDetails\.builder\.version\.runner is "2\.321\.0"/);
    const missing = join(keys, 'missing-policy.yaml');
    await writeFile(
      missing,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        'predicate:',
        '  - path: buildDefinition.resolvedDependencies.0.uri',
        '    exact: git+https://github.com/acme/app',
      ].join('\n'),
    );
    await refused(verifyArgs('acme.fraud:1.2.0', 'slsaprovenance1', '--policy', missing), pub, 'predicate_mismatch');
    const bad = join(keys, 'bad-policy.yaml');
    await writeFile(
      bad,
      ['apiVersion: scrydon.io/v1', 'kind: AttestationPolicy', 'predicate:', '  - path: a.b', '    exactly: 1'].join(
        '\n',
      ),
    );
    await refused(verifyArgs('acme.fraud:1.2.0', 'slsaprovenance1', '--policy', bad), pub, 'policy_invalid');
    // a certificate rule cannot hold for an attestation signed with a key
    await refused(
      verifyArgs('acme.fraud:1.2.0', 'slsaprovenance1', '--source-repository', 'https://github.com/acme/app'),
      pub,
      'certificate_mismatch',
    );
  });
});

describe('attest: types, inputs, where it writes', () => {
  test("--type custom wraps the text as cosign does; a second --legacy attestation joins the first's .att image", async () => {
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    const notes = join(await tempDir(), 'notes.txt');
    await writeFile(notes, 'reviewed by the security team\n');
    const key = join(keys, 'cosign.key');
    const first = await json<{ tag: string; predicateType: string }>(
      ['attest', 'acme.fraud:1.2.0', '--type', 'custom', '--predicate', notes, '--key', key, '--legacy'],
      { home, env: PW },
    );
    assert.equal(first.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
    const second = await json<{ tag: string }>(
      [
        'attest',
        'acme.fraud:1.2.0',
        '--type',
        'spdxjson',
        '--predicate',
        join(keys, 'sbom.spdx.json'),
        '--key',
        key,
        '--legacy',
      ],
      { home, env: PW },
    );
    assert.equal(second.tag, first.tag);
    const img = await json<{ layers: unknown[] }>(['inspect', first.tag], { home });
    assert.equal(img.layers.length, 2);
    await json(verifyArgs('acme.fraud:1.2.0', 'custom'), { home });
    await json(verifyArgs('acme.fraud:1.2.0', 'spdxjson'), { home });
    const policy = join(await tempDir(), 'custom.yaml');
    await writeFile(
      policy,
      [
        'apiVersion: scrydon.io/v1',
        'kind: AttestationPolicy',
        'predicate:',
        '  - path: Data',
        "    regexp: '^reviewed by '",
      ].join('\n'),
    );
    await json(verifyArgs('acme.fraud:1.2.0', 'custom', '--policy', policy), { home });
  });

  test('a predicate that is not JSON, or an unknown --type, is refused before anything is written', async () => {
    const bad = join(await tempDir(), 'bad.json');
    await writeFile(bad, '{ not json');
    const args = ['attest', 'acme.fraud:1.2.0', '--predicate', bad, '--key', join(keys, 'cosign.key')];
    const before = await treeHash(pub);
    expectError(await scrydon([...args, '--type', 'slsaprovenance1'], { home: pub, env: PW }), 'usage', 2);
    expectError(await scrydon([...args, '--type', 'sbom'], { home: pub, env: PW }), 'usage', 2);
    // a predicate file that is not there: the io_error line with the path and a hint, no raw errno text
    const gone = [...args.slice(0, 3), join(bad, '..', 'gone.json'), ...args.slice(4), '--type', 'slsaprovenance1'];
    const r = expectError(await scrydon(gone, { home: pub, env: PW }), 'io_error');
    assert.match(r.stderr, /gone\.json.*\(ENOENT\)\nhint: .*does not exist/);
    assert.equal(await treeHash(pub), before);
  });

  test('--remote attests straight in a registry (a referrer in the fallback index without a referrers API)', async () => {
    const clean = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: clean });
    await ok(['push', 'acme.fraud:1.2.0', `${reg}/remote/fraud:1`, '--plain-http'], { home: clean });
    const at = ['--remote', '--plain-http'];
    await ok(
      [
        'attest',
        `${reg}/remote/fraud:1`,
        '--type',
        'slsaprovenance1',
        '--predicate',
        join(keys, 'provenance.json'),
        '--key',
        join(keys, 'cosign.key'),
        ...at,
      ],
      { home: clean, env: PW },
    );
    await ok(
      [
        'attest',
        `${reg}/remote/fraud:1`,
        '--type',
        'spdxjson',
        '--predicate',
        join(keys, 'sbom.spdx.json'),
        '--key',
        join(keys, 'cosign.key'),
        '--legacy',
        ...at,
      ],
      { home: clean, env: PW },
    );
    const fallback = await fetch(`http://${reg}/v2/remote/fraud/manifests/sha256-${digest.slice(7)}`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    const index = (await fallback.json()) as { manifests: Array<{ annotations?: Record<string, string> }> };
    assert.equal(index.manifests[0]?.annotations?.['dev.sigstore.bundle.predicateType'], SLSA1);
    await bothVerify(await tempDir(), `${reg}/remote/fraud:1`, ...at);
  });
});

describe("catalog-spec's examples", () => {
  test('the SLSA v1 provenance and SPDX SBOM examples attest, and the SBOM policy holds', async () => {
    const ex = join(ROOT, 'catalog-spec', 'examples');
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    const key = join(keys, 'cosign.key');
    for (const [type, file, legacy] of [
      ['slsaprovenance1', 'slsa-provenance-v1.json', []],
      ['spdxjson', 'spdx-sbom.json', ['--legacy']],
    ] as const)
      await ok(['attest', 'acme.fraud:1.2.0', '--type', type, '--predicate', join(ex, file), '--key', key, ...legacy], {
        home,
        env: PW,
      });
    await json(verifyArgs('acme.fraud:1.2.0', 'spdxjson', '--policy', join(ex, 'sbom-policy.yaml')), { home });
    // the provenance policy's certificate rules need a keyless signer: with a key it is refused
    await refused(
      verifyArgs('acme.fraud:1.2.0', 'slsaprovenance1', '--policy', join(ex, 'attestation-policy.yaml')),
      home,
      'certificate_mismatch',
    );
  });
});

describe('attestations travel wherever signatures do (skopeo does not copy .att; scrydon must)', () => {
  test('push, then pull elsewhere', async () => {
    await ok(['push', 'acme.fraud:1.2.0', `${reg}/carry/fraud:1`, '--plain-http'], { home: pub });
    const tags = (await (await fetch(`http://${reg}/v2/carry/fraud/tags/list`)).json()) as { tags: string[] };
    assert.ok(tags.tags.includes(`sha256-${digest.slice(7)}.att`), JSON.stringify(tags));
    await bothVerify(await tempDir(), `${reg}/carry/fraud:1`, '--remote', '--plain-http');
    const home = await tempDir();
    await ok(['pull', `${reg}/carry/fraud:1`, '--plain-http'], { home });
    await bothVerify(home, `${reg}/carry/fraud:1`);
  });

  test('save, then load on another machine', async () => {
    const tar = join(await tempDir(), 'packs.tar');
    await ok(['save', 'acme.fraud:1.2.0', '--no-dependencies', '-o', tar], { home: pub });
    const home = await tempDir();
    await ok(['load', '-i', tar], { home });
    await bothVerify(home, 'acme.fraud:1.2.0');
  });

  test('copy through an oci: layout directory into another store', async () => {
    const layout = join(await tempDir(), 'layout');
    await ok(['copy', 'acme.fraud:1.2.0', `oci:${layout}:fraud`], { home: pub });
    const home = await tempDir();
    await ok(['copy', `oci:${layout}:fraud`, 'store:copied.fraud:1'], { home });
    await bothVerify(home, 'copied.fraud:1');
  });

  test('publish into a site registry, and pull from it', async () => {
    const r = await json<{ packs: Array<{ id: string; reference: string }> }>(
      ['publish', `${reg}/site/packs`, '--plain-http'],
      { home: pub },
    );
    const ref = r.packs.find((p) => p.id === 'acme.fraud')?.reference;
    assert.ok(ref, JSON.stringify(r));
    const home = await tempDir();
    await ok(['pull', ref, '--plain-http'], { home });
    await bothVerify(home, ref);
  });

  test('serve, and pull from it', async () => {
    const { startServe } = await import('../helpers/serve.js');
    const served = await startServe(pub);
    try {
      const home = await tempDir();
      await ok(['pull', `${served.host}/acme.fraud:1.2.0`, '--plain-http'], { home });
      await bothVerify(home, `${served.host}/acme.fraud:1.2.0`);
    } finally {
      await served.stop();
    }
  });
});

describe('an independent signer writing cosign 3 shapes by hand', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  let pem: string;
  let subject: Desc;

  before(async () => {
    pem = join(await tempDir(), 'indep.pub');
    await writeFile(pem, publicKey.export({ format: 'pem', type: 'spki' }));
    // the same pack from a store that holds no attestation of it
    const clean = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: clean });
    await ok(['push', 'acme.fraud:1.2.0', `${reg}/indep/fraud:1`, '--plain-http'], { home: clean });
    subject = await headManifest(reg, 'indep/fraud', '1');
    assert.equal(subject.digest, digest);
  });

  /** Pushes `indep/<repo>:1` with the given attestations, pulls it into a new home. */
  async function pulled(repo: string, add: (s: Desc) => Promise<void>): Promise<string> {
    await ok(['copy', `${reg}/indep/fraud:1`, `${reg}/indep/${repo}:1`, '--plain-http'], { home: await tempDir() });
    await add(subject);
    const home = await tempDir();
    await ok(['pull', `${reg}/indep/${repo}:1`, '--plain-http'], { home });
    return home;
  }

  function args(repo: string, type: string): string[] {
    return ['verify-attestation', `${reg}/indep/${repo}:1`, '--type', type, '--key', pem];
  }

  test('a bundle referrer and a legacy .att layer, pulled, verify', async () => {
    const home = await pulled('good', async (s) => {
      const st = statement(s.digest, SLSA1, PROVENANCE);
      await pushReferrer(reg, 'indep/good', s, bundleReferrer(s, keyBundle(st, privateKey, publicKey), SLSA1));
      const sbom = statement(s.digest, SPDX, SBOM);
      await pushAtt(reg, 'indep/good', s, attImage([{ envelope: envelope(sbom, privateKey), predicateType: SPDX }]));
    });
    const a = await json<Verified>(args('good', 'slsaprovenance1'), { home });
    assert.deepEqual(
      a.verified.map((v) => [v.format, v.foundAs]),
      [['bundle', 'referrer']],
    );
    const b = await json<Verified>(args('good', 'spdxjson'), { home });
    assert.equal(b.verified[0]?.format, 'legacy');
    // and on the registry itself
    await json(
      ['verify-attestation', `${reg}/indep/good:1`, '--type', 'spdxjson', '--key', pem, '--remote', '--plain-http'],
      {
        home: await tempDir(),
      },
    );
  });

  test('the predicate type regression: a statement of another type under a SLSA annotation does not count', async () => {
    const home = await pulled('liar', async (s) => {
      const sbom = statement(s.digest, SPDX, SBOM);
      await pushReferrer(reg, 'indep/liar', s, bundleReferrer(s, keyBundle(sbom, privateKey, publicKey), SLSA1));
      await pushAtt(reg, 'indep/liar', s, attImage([{ envelope: envelope(sbom, privateKey), predicateType: SLSA1 }]));
    });
    const msg = await refused(args('liar', 'slsaprovenance1'), home, 'claim_mismatch');
    assert.match(msg, /predicate type is "https:\/\/spdx\.dev\/Document"/);
  });

  test('a statement about another digest is refused', async () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const home = await pulled('elsewhere', async (s) => {
      const st = statement(other, SLSA1, PROVENANCE);
      await pushReferrer(reg, 'indep/elsewhere', s, bundleReferrer(s, keyBundle(st, privateKey, publicKey), SLSA1));
      await pushAtt(
        reg,
        'indep/elsewhere',
        s,
        attImage([{ envelope: envelope(statement(other, SPDX, SBOM), privateKey), predicateType: SPDX }]),
      );
    });
    const msg = await refused(args('elsewhere', 'slsaprovenance1'), home, 'claim_mismatch');
    assert.match(msg, /subjects do not include/);
    await refused(args('elsewhere', 'spdxjson'), home, 'claim_mismatch');
  });

  test('a tampered statement is refused', async () => {
    const home = await pulled('tampered', async (s) => {
      const st = statement(s.digest, SLSA1, PROVENANCE);
      const forged = statement(s.digest, SLSA1, {
        ...PROVENANCE,
        runDetails: { builder: { id: 'https://evil.example' } },
      });
      await pushReferrer(
        reg,
        'indep/tampered',
        s,
        bundleReferrer(s, keyBundle(forged, privateKey, publicKey, dsseSign(st, privateKey)), SLSA1),
      );
      const sbom = statement(s.digest, SPDX, SBOM);
      const forgedSbom = statement(s.digest, SPDX, { ...SBOM, name: 'evil' });
      await pushAtt(
        reg,
        'indep/tampered',
        s,
        attImage([{ envelope: envelope(forgedSbom, privateKey, dsseSign(sbom, privateKey)), predicateType: SPDX }]),
      );
    });
    await refused(args('tampered', 'slsaprovenance1'), home, 'signature_invalid');
    await refused(args('tampered', 'spdxjson'), home, 'signature_invalid');
  });
});
