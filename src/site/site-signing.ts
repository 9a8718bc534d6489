import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { SignatureSpec } from '../sources/catalog-file.js';
import type { PublicKeyInfo, SigningKey } from '../signature/keys.js';
import { readReceipts, signerLabel, type Receipt } from '../signature/receipts.js';
import { signArtifact } from '../signature/sign.js';
import { verifySignatures } from '../signature/verify.js';
import { withLeasedStore } from '../store/leased-store.js';
import type { Store } from '../store/store-target.js';
import type { SitePack } from './site-packs.js';

/** Annotations of the site's signed claim: which upstream signature was verified before the site signed. */
const UPSTREAM_SIGNER = 'io.scrydon.upstream.signer';
const UPSTREAM_SIGNATURE = 'io.scrydon.upstream.signature';

/** The newest receipt of a signer other than `siteKey`: the upstream verification a pack arrived with. */
export async function upstreamReceipt(
  store: Store,
  p: SitePack,
  siteKey?: PublicKeyInfo,
): Promise<Receipt | undefined> {
  const receipts = await readReceipts(store.paths.root, p.descriptor.digest);
  return receipts
    .filter((r) => !(siteKey && r.signer.kind === 'key' && r.signer.fingerprint === siteKey.fingerprint))
    .at(-1);
}

/** A pack the site cannot sign: nothing verified it here. */
export function refuseUnverified(p: SitePack): never {
  throw new ScrydonError(
    'verify_failed',
    `${p.id} ${p.version} (${p.descriptor.digest}) has no verification receipt: the site signs only what it verified; nothing was published`,
    {
      hint: `verify it first (scrydon verify ${p.storeRef} --key upstream.pub), or reconcile --mirror-only under a signing policy`,
    },
  );
}

/**
 * The site's own signature beside the upstream one (`upstream`: the receipt of what was verified), kept in the
 * store so `publish` pushes it with the pack's other referrers and a re-run finds it: made only once (a signature
 * by this key that already verifies is reused). The claim names the upstream signer and signature. True when it
 * signed now.
 */
export async function siteSign(
  store: Store,
  p: SitePack,
  upstream: Receipt,
  key: SigningKey,
  o: IoOptions = {},
): Promise<boolean> {
  try {
    await verifySignatures(store, p.descriptor, {
      requirement: { kind: 'key', key: key.publicKey },
      legacyRefs: [],
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return false;
  } catch {
    // no signature by the site key yet
  }
  await withLeasedStore(store, (s) =>
    signArtifact(s, p.descriptor, key, {
      ...(o.signal ? { signal: o.signal } : {}),
      recursive: false,
      annotations: { [UPSTREAM_SIGNER]: signerLabel(upstream.signer), [UPSTREAM_SIGNATURE]: upstream.signature },
      dockerReference: p.storeRef,
      legacyTagRef: () => p.storeRef,
    }),
  );
  return true;
}

/**
 * What the generated catalog says of a pack's signature. Nodes verify under their own policy for the site
 * source (never the catalog's), so this is the publisher's statement of what was verified: the site key when the
 * site re-signed; else the upstream signer of the newest receipt (a key found among `upstreamKeys`, or the
 * certificate identity and issuer); `none` for a pack nothing verified (a node requiring signatures refuses it).
 */
export function catalogSignature(
  upstream: Receipt | undefined,
  siteKey: PublicKeyInfo | undefined,
  upstreamKeys: readonly PublicKeyInfo[],
): SignatureSpec {
  if (siteKey) return { kind: 'cosign-key', publicKey: siteKey.pem };
  const s = upstream?.signer;
  if (s?.kind === 'certificate')
    return { kind: 'cosign-keyless', certificateIdentity: s.identity, certificateOidcIssuer: s.issuer };
  if (s?.kind === 'key') {
    const pem = upstreamKeys.find((k) => k.fingerprint === s.fingerprint)?.pem;
    if (pem) return { kind: 'cosign-key', publicKey: pem };
  }
  return { kind: 'none' };
}
