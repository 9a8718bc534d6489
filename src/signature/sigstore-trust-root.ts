/**
 * Sigstore trusted roots (trusted_root.json, protobuf-specs JSON): parsed once, checked whole, summarised for
 * `scrydon trust show`. With sigstore-adapter.ts and sigstore-legacy.ts, the only code that calls sigstore-js.
 */
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { ScrydonError } from '../errors.js';

/** A parsed trusted_root.json (opaque outside this module) and what it holds. */
export interface TrustRoot {
  readonly root: TrustedRoot;
  readonly summary: TrustSummary;
}

export interface TrustWindow {
  name: string;
  validFrom?: string;
  validUntil?: string;
}

export interface TrustSummary {
  mediaType: string;
  certificateAuthorities: TrustWindow[];
  tlogs: TrustWindow[];
  ctlogs: TrustWindow[];
  timestampAuthorities: TrustWindow[];
}

function window(name: string, v: { start?: Date | undefined; end?: Date | undefined } | undefined): TrustWindow {
  const w: TrustWindow = { name };
  if (v?.start) w.validFrom = v.start.toISOString();
  if (v?.end) w.validUntil = v.end.toISOString();
  return w;
}

/** Reads a Sigstore trusted root (protobuf-specs JSON), refusing one that is not. */
export function parseTrustedRoot(json: unknown, where: string): TrustRoot {
  let root: TrustedRoot;
  try {
    if (typeof json !== 'object' || json === null || typeof (json as { mediaType?: unknown }).mediaType !== 'string')
      throw new Error('no mediaType');
    root = TrustedRoot.fromJSON(json);
    if (!/^application\/vnd\.dev\.sigstore\.trustedroot/.test(root.mediaType))
      throw new Error(`mediaType "${root.mediaType}" is not a trusted root's`);
    toTrustMaterial(root); // parses every key and certificate now, not at verify time
  } catch (e) {
    throw new ScrydonError('trust_invalid', `${where} is not a Sigstore trusted root: ${(e as Error).message}`, {
      cause: e,
      hint: 'use the trusted_root.json of the Sigstore instance (TUF target), or `cosign trusted-root create` output',
    });
  }
  return {
    root,
    summary: {
      mediaType: root.mediaType,
      certificateAuthorities: root.certificateAuthorities.map((c) =>
        window(c.uri || c.subject?.commonName || 'ca', c.validFor),
      ),
      tlogs: root.tlogs.map((t) => window(t.baseUrl, t.publicKey?.validFor)),
      ctlogs: root.ctlogs.map((t) => window(t.baseUrl, t.publicKey?.validFor)),
      timestampAuthorities: root.timestampAuthorities.map((c) =>
        window(c.uri || c.subject?.commonName || 'tsa', c.validFor),
      ),
    },
  };
}
