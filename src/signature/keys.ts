import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { ScrydonError } from '../errors.js';
import { decryptCosignKey, encryptCosignKey, isEncryptedCosignKey, pemLabel } from './key-encryption.js';

/**
 * A key type and the hash it signs with: cosign's key types that Node can compute (pkg/cosign/keys.go
 * SupportedKeyDetails, less Ed25519ph). P-384 and P-521 appear twice: with their own hash (cosign ≥ 2.6) and
 * with SHA-256 (cosign ≤ 2.5, containers/image). catalog-spec/signatures.md "Hash algorithms" has the facts.
 */
export type KeyAlgorithm =
  | 'ecdsa-p256-sha256'
  | 'ecdsa-p384-sha256'
  | 'ecdsa-p384-sha384'
  | 'ecdsa-p521-sha256'
  | 'ecdsa-p521-sha512'
  | 'rsa-pkcs1v15-sha256';
export type HashName = 'sha256' | 'sha384' | 'sha512';

export interface KeyScheme {
  algorithm: KeyAlgorithm;
  hash: HashName;
}

/** How a key type signs and what it accepts when verifying. */
interface KeyType {
  /** What scrydon signs with: SHA-256, the hash every cosign `verify --key` (default `--signature-digest-algorithm sha256`) and containers/image check. */
  signs: KeyScheme;
  /** What verification accepts: every hash some cosign version or containers/image signed this key type with. */
  verifies: readonly KeyScheme[];
}

const P256: KeyScheme = { algorithm: 'ecdsa-p256-sha256', hash: 'sha256' };
const P384_SHA256: KeyScheme = { algorithm: 'ecdsa-p384-sha256', hash: 'sha256' };
const P384_SHA384: KeyScheme = { algorithm: 'ecdsa-p384-sha384', hash: 'sha384' };
const P521_SHA256: KeyScheme = { algorithm: 'ecdsa-p521-sha256', hash: 'sha256' };
const P521_SHA512: KeyScheme = { algorithm: 'ecdsa-p521-sha512', hash: 'sha512' };
const RSA: KeyScheme = { algorithm: 'rsa-pkcs1v15-sha256', hash: 'sha256' };

const CURVES: Readonly<Record<string, KeyType>> = {
  prime256v1: { signs: P256, verifies: [P256] },
  secp384r1: { signs: P384_SHA256, verifies: [P384_SHA256, P384_SHA384] },
  secp521r1: { signs: P521_SHA256, verifies: [P521_SHA256, P521_SHA512] },
};
const RSA_SIZES: ReadonlySet<number> = new Set([2048, 3072, 4096]);

export interface PublicKeyInfo {
  key: KeyObject;
  /** What this key signs with here (always a SHA-256 scheme; see KeyType.signs). */
  algorithm: KeyAlgorithm;
  hash: HashName;
  /** `sha256:<hex>` of the PKIX (SubjectPublicKeyInfo) DER: what receipts and policies name a key by. */
  fingerprint: string;
  /** PKIX PEM (`-----BEGIN PUBLIC KEY-----`), as `cosign.pub` holds it. */
  pem: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: PublicKeyInfo;
}

/** How a key signs and verifies; refuses what cosign would not produce or Node cannot verify. */
function keyType(k: KeyObject, where: string): KeyType {
  const type = k.asymmetricKeyType;
  if (type === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const hit = CURVES[curve];
    if (!hit)
      throw new ScrydonError(
        'key_unsupported',
        `${where}: ECDSA curve ${curve} is not supported (P-256, P-384 and P-521 are)`,
      );
    return hit;
  }
  if (type === 'rsa') {
    const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
    if (!RSA_SIZES.has(bits))
      throw new ScrydonError(
        'key_unsupported',
        `${where}: RSA keys of ${bits} bits are not supported (2048, 3072 and 4096 are)`,
      );
    return { signs: RSA, verifies: [RSA] };
  }
  if (type === 'ed25519') {
    throw new ScrydonError(
      'key_unsupported',
      `${where}: Ed25519 keys are refused: cosign signs with them as Ed25519ph (pre-hashed), which Node cannot compute or verify`,
      {
        hint: 'use an ECDSA P-256 key (scrydon key generate writes one)',
      },
    );
  }
  throw new ScrydonError(
    'key_unsupported',
    `${where}: ${type ?? 'unknown'} keys are not supported (ECDSA P-256/P-384/P-521 and RSA are)`,
  );
}

/** The scheme under which `signature` verifies `data` with `k`, or undefined when none does. */
export function verifiedScheme(k: KeyObject, data: Buffer, signature: Buffer, where: string): KeyScheme | undefined {
  return keyType(k, where).verifies.find((s) => {
    try {
      return verify(s.hash, data, k, signature);
    } catch {
      return false;
    }
  });
}

function spkiDer(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'spki' });
}

/** cosign's key hint in a bundle: base64 of SHA-256 over the PKIX DER. */
export function keyHint(k: KeyObject): string {
  return createHash('sha256').update(spkiDer(k)).digest('base64');
}

/**
 * A bundle's key hint in the form fingerprints are shown everywhere (`sha256:<hex>`): the hint is the same SHA-256,
 * base64-encoded. A hint that is not 32 bytes of base64 is shown as given.
 */
export function hintFingerprint(hint: string): string {
  const raw = Buffer.from(hint, 'base64');
  return raw.length === 32 && raw.toString('base64') === hint ? `sha256:${raw.toString('hex')}` : hint;
}

function publicKeyInfo(key: KeyObject, where: string): PublicKeyInfo {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const t = keyType(pub, where);
  return {
    key: pub,
    algorithm: t.signs.algorithm,
    hash: t.signs.hash,
    fingerprint: `sha256:${createHash('sha256').update(spkiDer(pub)).digest('hex')}`,
    pem: pub.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** A PKIX public key PEM (`cosign.pub`), or the public key of a PEM certificate. */
export function parsePublicKey(pem: string, where: string): PublicKeyInfo {
  const label = pemLabel(pem);
  if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY' && label !== 'CERTIFICATE') {
    throw new ScrydonError(
      'key_invalid',
      `${where}: not a public key PEM (found ${label ? `"${label}"` : 'no PEM block'})`,
      {
        hint: 'give the cosign.pub file (-----BEGIN PUBLIC KEY-----)',
      },
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new ScrydonError('key_invalid', `${where}: the public key does not parse`, { cause: e });
  }
  return publicKeyInfo(key, where);
}

/**
 * A private key from PEM: cosign's encrypted format (needs `password`), or plain PKCS#8 (`PRIVATE KEY`),
 * SEC1 (`EC PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
 */
export async function parsePrivateKey(pem: string, password: string | undefined, where: string): Promise<SigningKey> {
  let privateKey: KeyObject;
  if (isEncryptedCosignKey(pem)) {
    if (password === undefined) {
      throw new ScrydonError('key_password', `${where} is encrypted and no password was given`, {
        hint: 'set COSIGN_PASSWORD, or run on a terminal to be asked',
      });
    }
    const der = await decryptCosignKey(pem, password, where);
    try {
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new ScrydonError('key_invalid', `${where}: the decrypted key is not PKCS#8 (cosign refuses it too)`, {
        cause: e,
      });
    }
  } else {
    const label = pemLabel(pem);
    if (label !== 'PRIVATE KEY' && label !== 'EC PRIVATE KEY' && label !== 'RSA PRIVATE KEY') {
      throw new ScrydonError(
        'key_invalid',
        `${where}: not a private key PEM scrydon reads (found ${label ? `"${label}"` : 'no PEM block'})`,
        {
          hint: 'give cosign.key (ENCRYPTED SIGSTORE PRIVATE KEY) or an unencrypted PKCS#8 PEM',
        },
      );
    }
    try {
      privateKey = createPrivateKey(pem);
    } catch (e) {
      throw new ScrydonError('key_invalid', `${where}: the private key does not parse`, { cause: e });
    }
  }
  return { privateKey, publicKey: publicKeyInfo(privateKey, where) };
}

interface GeneratedKeyPair {
  /** `cosign.key`: encrypted PKCS#8. */
  privatePem: string;
  /** `cosign.pub`: PKIX PEM. */
  publicPem: string;
  fingerprint: string;
}

/** A new ECDSA P-256 pair, encrypted as `cosign generate-key-pair` writes it. */
export async function generateKeyPair(password: string): Promise<GeneratedKeyPair> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const info = publicKeyInfo(privateKey, 'generated key');
  return { privatePem: await encryptCosignKey(pkcs8, password), publicPem: info.pem, fingerprint: info.fingerprint };
}

/** Signs `data` with SHA-256 (see KeyType.signs): DER ECDSA (what Go's SignASN1 gives) or RSA PKCS#1 v1.5. */
export function signData(k: SigningKey, data: Buffer): Buffer {
  return sign(k.publicKey.hash, data, k.privateKey);
}

/** True when `signature` verifies under one of the schemes the key accepts. */
export function verifyData(k: PublicKeyInfo, data: Buffer, signature: Buffer): boolean {
  return verifiedScheme(k.key, data, signature, 'public key') !== undefined;
}
