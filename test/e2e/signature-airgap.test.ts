import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { fakeSigstore, IDENTITY, ISSUER, storeKeylessArtifact } from '../helpers/sigstore-fixtures.js';

/**
 * The air gap, end to end with real cryptography: sign in one home → push to a real registry (distribution
 * 2.8: no referrers API, so the fallback tag) → pull into a fresh home → save → load into another fresh home
 * with the registry stopped → verify succeeds offline, for both formats; one flipped byte of a stored blob
 * makes it fail.
 */

let registry: RunningRegistry;
let work: string;
const ENV = { COSIGN_PASSWORD: 'correct horse' };
let fraudDigest: string;
let coreDigest: string;

interface VerifyJson {
  digest: string;
  where: string;
  verified: Array<{ format: string; foundAs: string; signer: { kind: string; fingerprint?: string } }>;
}

before(async () => {
  registry = await startRegistry();
  work = await tempDir();
  await ok(['key', 'generate', '--dir', work], { env: ENV });
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

test('sign → push → pull → save → load (registry stopped) → verify, both formats', async () => {
  const reg = registry.host;
  const a = await tempDir();
  fraudDigest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: a })).digest;
  const signed = await json<{ digest: string; signatures: Array<{ format: string }> }>(
    ['sign', 'acme.fraud:1.2.0', '--key', join(work, 'cosign.key')],
    { home: a, env: ENV },
  );
  assert.equal(signed.digest, fraudDigest);
  assert.equal(signed.signatures[0]?.format, 'bundle');
  // a legacy .sig too: push must carry the store's <repo>:sha256-<hex>.sig tag to the registry's sha256-<hex>.sig
  await ok(['sign', 'acme.fraud:1.2.0', '--legacy', '--key', join(work, 'cosign.key')], { home: a, env: ENV });
  await ok(['push', 'acme.fraud:1.2.0', `${reg}/acme/fraud:1.2.0`, '--plain-http'], { home: a });
  const fraudSig = await fetch(`http://${reg}/v2/acme/fraud/manifests/sha256-${fraudDigest.slice(7)}.sig`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(fraudSig.status, 200);
  await fraudSig.arrayBuffer();

  // a second artifact, pushed unsigned, then signed in the registry itself with a legacy .sig tag
  const core = await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home: a });
  coreDigest = core.digest;
  const coreRef =
    (await json<Array<{ ref: string }>>(['ls'], { home: a })).find((t) => !t.ref.startsWith('acme.fraud'))?.ref ?? '';
  await ok(['push', coreRef, `${reg}/acme/core:1`, '--plain-http'], { home: a });
  await ok(
    [
      'sign',
      `${reg}/acme/core@${coreDigest}`,
      '--remote',
      '--plain-http',
      '--legacy',
      '--key',
      join(work, 'cosign.key'),
    ],
    { home: a, env: ENV },
  );

  // the registry has no referrers API: the bundle is listed under the fallback tag, the legacy one under .sig
  const fallback = await fetch(`http://${reg}/v2/acme/fraud/manifests/sha256-${fraudDigest.slice(7)}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' },
  });
  assert.equal(fallback.status, 200);
  await fallback.arrayBuffer();
  const sigTag = await fetch(`http://${reg}/v2/acme/core/manifests/sha256-${coreDigest.slice(7)}.sig`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  assert.equal(sigTag.status, 200);
  await sigTag.arrayBuffer();
  const remote = await json<VerifyJson>(
    ['verify', `${reg}/acme/fraud:1.2.0`, '--remote', '--plain-http', '--key', join(work, 'cosign.pub')],
    { home: a },
  );
  assert.equal(remote.where, 'registry');

  // pull into a fresh home: referrers and .sig tags come along
  const b = await tempDir();
  await ok(['pull', `${reg}/acme/fraud:1.2.0`, '--plain-http'], { home: b });
  await ok(['pull', `${reg}/acme/core:1`, '--plain-http'], { home: b });
  const tags = (await json<Array<{ ref: string }>>(['ls'], { home: b })).map((t) => t.ref);
  assert.ok(tags.includes(`${reg}/acme/core:sha256-${coreDigest.slice(7)}.sig`), tags.join('\n'));
  const archive = join(b, 'packs.tar');
  await ok(['save', `${reg}/acme/fraud:1.2.0`, `${reg}/acme/core:1`, '-o', archive], { home: b });

  // no route to the registry any more
  await registry.stop();
  const c = await tempDir();
  await ok(['load', '-i', archive], { home: c });
  const v1 = await json<VerifyJson>(['verify', `${reg}/acme/fraud:1.2.0`, '--key', join(work, 'cosign.pub')], {
    home: c,
  });
  assert.equal(v1.where, 'store');
  assert.equal(v1.digest, fraudDigest);
  assert.equal(v1.verified[0]?.format, 'bundle');
  const v2 = await json<VerifyJson>(['verify', `${reg}/acme/core:1`, '--key', join(work, 'cosign.pub')], { home: c });
  assert.equal(v2.verified[0]?.format, 'legacy');
  assert.equal(v2.verified[0]?.foundAs, `${reg}/acme/core:sha256-${coreDigest.slice(7)}.sig`);

  // the receipt is in the store, and inspect shows it
  const insp = await json<{ receipts: Array<{ format: string; signer: { fingerprint: string } }> }>(
    ['inspect', `${reg}/acme/fraud:1.2.0`],
    { home: c },
  );
  assert.equal(insp.receipts.length, 1);
  assert.equal(insp.receipts[0]?.format, 'bundle');

  // one flipped byte in a stored signature blob: verification fails, loudly
  const refs = await json<{ referrers: Array<{ digest: string }> }>(['inspect', `${reg}/acme/fraud:1.2.0`], {
    home: c,
  });
  const referrer = refs.referrers[0]?.digest ?? '';
  const manifest = JSON.parse(await readFile(join(c, 'catalog', 'blobs', 'sha256', referrer.slice(7)), 'utf8')) as {
    layers: Array<{ digest: string }>;
  };
  const blob = join(c, 'catalog', 'blobs', 'sha256', (manifest.layers[0]?.digest ?? '').slice(7));
  const bytes = await readFile(blob);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0x01, bytes.length - 3);
  await chmod(blob, 0o644);
  await writeFile(blob, bytes);
  expectError(
    await scrydon(['verify', `${reg}/acme/fraud:1.2.0`, '--key', join(work, 'cosign.pub')], { home: c }),
    'digest_mismatch',
  );
});

test('keyless after the air gap: save --trust carries the trusted root; imported there by its digest only', async () => {
  const sigstore = await fakeSigstore();
  const a = await tempDir();
  await writeFile(join(a, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  const imported = await json<{ digest: string }>(['trust', 'import', join(a, 'trusted_root.json')], { home: a });
  await storeKeylessArtifact(join(a, 'catalog'), sigstore, 'ghcr.io/acme/app:1');
  const archive = join(a, 'keyless.tar');
  await ok(['save', 'ghcr.io/acme/app:1', '--trust', '-o', archive], { home: a });

  const b = await tempDir();
  await ok(['load', '-i', archive], { home: b });
  const who = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
  // arriving in an archive does not make a root trusted
  expectError(await scrydon(['verify', 'ghcr.io/acme/app:1', ...who], { home: b }), 'trust_missing');
  expectError(await scrydon(['trust', 'import', '--digest', `sha256:${'0'.repeat(64)}`], { home: b }), 'not_found');
  await ok(['trust', 'import', '--digest', imported.digest], { home: b });
  const v = await json<{ trustRoot: string; verified: Array<{ format: string }> }>(
    ['verify', 'ghcr.io/acme/app:1', ...who],
    { home: b },
  );
  assert.equal(v.trustRoot, imported.digest);
  assert.equal(v.verified[0]?.format, 'bundle');
});
