import { ScrydonError } from '../errors.js';

/** A digest string `sha256:<64 lowercase hex>`. Only sha256 is accepted (as oras, skopeo and distribution default). */
export type Digest = `sha256:${string}`;

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && SHA256_RE.test(s);
}

function parseDigest(s: string, what = 'digest'): Digest {
  if (!isDigest(s)) {
    throw new ScrydonError('manifest_invalid', `invalid ${what} "${s.slice(0, 80)}"`, {
      hint: 'digests are sha256:<64 lowercase hex characters>',
    });
  }
  return s;
}

/** The hex part of a digest, used as the blob's file name. */
export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}
