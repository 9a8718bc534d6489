import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/media-types.js';
import { Store } from '../../src/store/store-target.js';
import { bundleReferrer } from '../../src/signature/bundle-format.js';
import { exact, regexp, type IdentityRequirement } from '../../src/signature/identity.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from '../../src/signature/intoto.js';
import { legacyImage } from '../../src/signature/legacy-format.js';
import { storeLegacyRefs } from '../../src/signature/locations.js';
import { simpleSigningPayload } from '../../src/signature/simple-signing.js';
import { importTrustRoot, loadTrustRoot } from '../../src/signature/trust-store.js';
import { verifySignatures, type LoadedTrust, type VerifyResult } from '../../src/signature/verify.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';
import { seedPack } from '../helpers/seed-store.js';
import {
  fakeSigstore,
  IDENTITY,
  ISSUER,
  keylessBundle,
  keylessLegacyAnnotations,
  type EvidenceOptions,
  type FakeSigstore,
} from '../helpers/sigstore-fixtures.js';
import { storeLegacyRef } from '../../src/names/store.js';

let sigstore: FakeSigstore;
let trust: LoadedTrust;
let otherTrust: LoadedTrust;

/** Writes a trusted root to a file and reads it back the way `scrydon trust import` and `verify` do. */
async function trustFromFile(root: Record<string, unknown>): Promise<LoadedTrust> {
  const dir = await tempDir();
  await writeFile(join(dir, 'trusted_root.json'), JSON.stringify(root, null, 2));
  await importTrustRoot(join(dir, 'trust'), await readFile(join(dir, 'trusted_root.json')), 'trusted_root.json');
  const t = await loadTrustRoot(join(dir, 'trust'));
  assert.ok(t);
  return t;
}

before(async () => {
  sigstore = await fakeSigstore();
  trust = await trustFromFile(sigstore.trustedRoot);
  otherTrust = await trustFromFile((await fakeSigstore()).trustedRoot);
});
after(cleanupTemps);

async function freshStore(): Promise<{ store: Store; subject: Descriptor }> {
  const dir = await tempDir();
  const seeded = await seedPack(join(dir, 'catalog'), 'acme.app:1.0.0', join(dir, 'work'));
  return { store: await Store.open(join(dir, 'catalog')), subject: seeded.manifest };
}

async function put(store: Store, d: Descriptor, bytes: Buffer): Promise<void> {
  if (!(await store.exists(d))) await store.push(d, Readable.from([bytes]));
}

async function storeBundle(store: Store, subject: Descriptor, bundle: Buffer): Promise<void> {
  const r = bundleReferrer(subject, bundle, COSIGN_SIGN_PREDICATE, '2026-01-01T00:00:00Z');
  await put(store, r.config.descriptor, r.config.bytes);
  await put(store, r.layer.descriptor, r.layer.bytes);
  await put(store, r.manifest.descriptor, r.manifest.bytes);
}

async function storeLegacy(
  store: Store,
  subject: Descriptor,
  payload: Buffer,
  ann: Awaited<ReturnType<typeof keylessLegacyAnnotations>>,
): Promise<void> {
  const img = legacyImage([], { payload: descriptorOf(MediaType.cosignSimpleSigning, payload), ...ann });
  await put(store, descriptorOf(MediaType.cosignSimpleSigning, payload), payload);
  await put(store, img.config.descriptor, img.config.bytes);
  await put(store, img.manifest.descriptor, img.manifest.bytes);
  await store.tag(img.manifest.descriptor, storeLegacyRef('acme.app', subject));
}

const WHO: IdentityRequirement = { identity: exact(IDENTITY), issuer: exact(ISSUER) };

async function verify(
  store: Store,
  subject: Descriptor,
  identity: IdentityRequirement = WHO,
  t: LoadedTrust | null = trust,
): Promise<VerifyResult> {
  return verifySignatures(store, subject, {
    requirement: { kind: 'keyless', identity },
    trust: t ?? undefined,
    legacyRefs: await storeLegacyRefs(store, subject),
  });
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isScrydonError(e), `not a ScrydonError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

async function bundleCase(o: EvidenceOptions = {}, san = IDENTITY): Promise<{ store: Store; subject: Descriptor }> {
  const { store, subject } = await freshStore();
  await storeBundle(
    store,
    subject,
    await keylessBundle(sigstore, await sigstore.issue(san), signStatement(subject.digest), o),
  );
  return { store, subject };
}

async function legacyCase(
  o: EvidenceOptions = {},
  san = IDENTITY,
): Promise<{ store: Store; subject: Descriptor; payload: Buffer }> {
  const { store, subject } = await freshStore();
  const payload = simpleSigningPayload('acme.app', subject.digest);
  await storeLegacy(
    store,
    subject,
    payload,
    await keylessLegacyAnnotations(sigstore, await sigstore.issue(san), payload, o),
  );
  return { store, subject, payload };
}

test('keyless bundle (DSSE, Rekor v1 entry with proof and SET) verifies against the trusted root read from a file', async () => {
  const { store, subject } = await bundleCase();
  const r = await verify(store, subject);
  assert.equal(r.verified.length, 1);
  const v = r.verified[0];
  assert.equal(v?.format, 'bundle');
  assert.equal(v?.signer.kind, 'certificate');
  assert.equal(v?.signer.kind === 'certificate' ? v.signer.identity : '', IDENTITY);
  assert.equal(v?.transparencyLog.entries, 1);
  assert.equal(v?.signedAt.length, 1);
  assert.equal(r.trustRoot, trust.digest);
});

test('keyless bundle with a TSA timestamp as well verifies', async () => {
  const { store, subject } = await bundleCase({ tsa: true });
  const r = await verify(store, subject);
  assert.equal(r.verified[0]?.tsaTimestamps, 1);
});

test('keyless legacy .sig (hashedrekord SET) verifies, and with a TSA timestamp only', async () => {
  const a = await legacyCase();
  const r = await verify(a.store, a.subject);
  assert.equal(r.verified[0]?.format, 'legacy');
  assert.match(r.verified[0]?.foundAs ?? '', /^acme\.app:sha256-[0-9a-f]{64}\.sig$/);
  const b = await legacyCase({ tlog: false, tsa: true });
  const r2 = await verify(b.store, b.subject);
  assert.equal(r2.verified[0]?.transparencyLog.entries, 0);
  assert.equal(r2.verified[0]?.tsaTimestamps, 1);
});

test('keyless with neither a log entry nor a TSA timestamp is refused: timestamp_missing', async () => {
  await rejects(
    (async () => {
      const c = await bundleCase({ tlog: false });
      return verify(c.store, c.subject);
    })(),
    'timestamp_missing',
  );
  await rejects(
    (async () => {
      const c = await legacyCase({ tlog: false });
      return verify(c.store, c.subject);
    })(),
    'timestamp_missing',
  );
});

test('wrong identity: identity_mismatch; wrong issuer: issuer_mismatch (both formats)', async () => {
  for (const c of [await bundleCase(), await legacyCase()]) {
    await rejects(
      verify(c.store, c.subject, {
        identity: exact('https://github.com/acme/other/.github/workflows/release.yml@refs/tags/v1'),
        issuer: exact(ISSUER),
      }),
      'identity_mismatch',
    );
    await rejects(
      verify(c.store, c.subject, { identity: exact(IDENTITY), issuer: exact('https://accounts.google.com') }),
      'issuer_mismatch',
    );
  }
});

test("an exact identity never matches as an unanchored substring; regexps are unanchored like cosign's", async () => {
  const evil = 'https://github.com/acme-evil/app/.github/workflows/release.yml@refs/tags/v1';
  const c = await bundleCase({}, evil);
  await rejects(
    verify(c.store, c.subject, { identity: exact('github.com/acme'), issuer: exact(ISSUER) }),
    'identity_mismatch',
  );
  await rejects(
    verify(c.store, c.subject, { identity: exact('https://github.com/acme'), issuer: exact(ISSUER) }),
    'identity_mismatch',
  );
  // the documented trap: an unanchored regexp does match a substring, which is why ^…$ is recommended
  await verify(c.store, c.subject, { identity: regexp('github.com/acme', 'x'), issuer: exact(ISSUER) });
  await rejects(
    verify(c.store, c.subject, { identity: regexp('^https://github\\.com/acme/', 'x'), issuer: exact(ISSUER) }),
    'identity_mismatch',
  );
  await rejects(
    verify(c.store, c.subject, { identity: exact(evil), issuer: regexp('^https://accounts\\.', 'x') }),
    'issuer_mismatch',
  );
});

test('a certificate expired at the signing time (log time 11 minutes after issuance): certificate_expired', async () => {
  await rejects(
    (async () => {
      const c = await bundleCase({ clockOffsetMs: 11 * 60_000 });
      return verify(c.store, c.subject);
    })(),
    'certificate_expired',
  );
  await rejects(
    (async () => {
      const c = await legacyCase({ clockOffsetMs: 11 * 60_000 });
      return verify(c.store, c.subject);
    })(),
    'certificate_expired',
  );
});

test('a forged SET or integrated time: tlog_invalid', async () => {
  const c = await legacyCase();
  const [tag] = await storeLegacyRefs(c.store, c.subject);
  const d = await c.store.resolve(tag ?? '');
  const m = JSON.parse((await c.store.fetchBytes(d)).toString()) as {
    layers: Array<{ annotations: Record<string, string> }>;
  };
  const layer = m.layers[0];
  assert.ok(layer);
  const rb = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle'] ?? '{}') as {
    Payload: { integratedTime: number };
    SignedEntryTimestamp: string;
  };
  rb.Payload.integratedTime += 1;
  layer.annotations['dev.sigstore.cosign/bundle'] = JSON.stringify(rb);
  const bytes = Buffer.from(JSON.stringify(m));
  const forged = descriptorOf(MediaType.ociManifest, bytes);
  await put(c.store, forged, bytes);
  await c.store.tag(forged, tag ?? '');
  await rejects(verify(c.store, c.subject), 'tlog_invalid');
});

test('a certificate from a CA the trusted root does not hold: certificate_untrusted', async () => {
  const c = await bundleCase();
  await rejects(verify(c.store, c.subject, WHO, otherTrust), 'certificate_untrusted');
  const l = await legacyCase();
  await rejects(verify(l.store, l.subject, WHO, otherTrust), 'certificate_untrusted');
});

test('keyless without a trusted root: trust_missing', async () => {
  const c = await bundleCase();
  await rejects(verify(c.store, c.subject, WHO, null), 'trust_missing');
});

test('a tampered DSSE payload no longer matches its log entry: tlog_mismatch', async () => {
  const { store, subject } = await freshStore();
  const bundle = JSON.parse(
    (await keylessBundle(sigstore, await sigstore.issue(), signStatement(subject.digest))).toString(),
  ) as { dsseEnvelope: { payload: string } };
  const st = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
    predicate: Record<string, unknown>;
  };
  st.predicate = { tampered: true };
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
  await storeBundle(store, subject, Buffer.from(JSON.stringify(bundle)));
  await rejects(verify(store, subject), 'tlog_mismatch');
});

test('a legacy signature whose Rekor entry is a rekord (cosign < 1.4) is refused: signature_unsupported', async () => {
  const { store, subject } = await freshStore();
  const payload = simpleSigningPayload('acme.app', subject.digest);
  const ann = await keylessLegacyAnnotations(sigstore, await sigstore.issue(), payload);
  const rb = JSON.parse(ann.bundle ?? '{}') as { Payload: { body: string } };
  const body = JSON.parse(Buffer.from(rb.Payload.body, 'base64').toString()) as { kind: string };
  body.kind = 'rekord';
  rb.Payload.body = Buffer.from(JSON.stringify(body)).toString('base64');
  await storeLegacy(store, subject, payload, { ...ann, bundle: JSON.stringify(rb) });
  await rejects(verify(store, subject), 'signature_unsupported');
});

test('formats fall back only when one is absent: a failing bundle is not rescued by a valid legacy signature', async () => {
  const c = await legacyCase();
  await verify(c.store, c.subject);
  await storeBundle(
    c.store,
    c.subject,
    await keylessBundle(
      sigstore,
      await sigstore.issue('https://github.com/other/repo/.github/workflows/x.yml@refs/heads/main'),
      signStatement(c.subject.digest),
    ),
  );
  await rejects(verify(c.store, c.subject), 'identity_mismatch');
});

test('bundles cosign would not accept as signatures: an older media type, a v0.3 without inclusion proof: signature_unsupported', async () => {
  const { store, subject } = await freshStore();
  const b = JSON.parse(
    (await keylessBundle(sigstore, await sigstore.issue(), signStatement(subject.digest))).toString(),
  ) as { mediaType: string; verificationMaterial: { tlogEntries: Array<Record<string, unknown>> } };
  const old = { ...b, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' };
  await storeBundle(store, subject, Buffer.from(JSON.stringify(old)));
  await rejects(verify(store, subject), 'signature_unsupported');
  const other = await freshStore();
  const entry = b.verificationMaterial.tlogEntries[0];
  if (entry) delete entry.inclusionProof;
  await storeBundle(other.store, other.subject, Buffer.from(JSON.stringify(b)));
  await rejects(verify(other.store, other.subject), 'signature_unsupported');
});
