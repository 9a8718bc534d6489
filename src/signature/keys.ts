import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { ScrydonError } from '../errors.js';
import { decryptCosignKey, encryptCosignKey, isEncryptedCosignKey, pemLabel } from './key-encryption.js';

/** The signing algorithms cosign supports that Node can compute (pkg/cosign/keys.go SupportedKeyDetails, less Ed25519ph). */
export type KeyAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ecdsa-p521-sha512' | 'rsa-pkcs1v15-sha256';
export type HashName = 'sha256' | 'sha384' | 'sha512';

const CURVES: Readonly<Record<string, { algorithm: KeyAlgorithm; hash: HashName }>> = {
  prime256v1: { algorithm: 'ecdsa-p256-sha256', hash: 'sha256' },
  secp384r1: { algorithm: 'ecdsa-p384-sha384', hash: 'sha384' },
  secp521r1: { algorithm: 'ecdsa-p521-sha512', hash: 'sha512' },
};
const RSA_SIZES: ReadonlySet<number> = new Set([2048, 3072, 4096]);

export interface PublicKeyInfo {
  key: KeyObject;
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

/** Which algorithm a key signs with; refuses what cosign would not produce or Node cannot verify. */
export function keyAlgorithm(k: KeyObject, where: string): { algorithm: KeyAlgorithm; hash: HashName } {
  const type = k.asymmetricKeyType;
  if (type === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const hit = CURVES[curve];
    if (!hit) throw new ScrydonError('key_unsupported', `${where}: ECDSA curve ${curve} is not supported (P-256, P-384 and P-521 are)`);
    return hit;
  }
  if (type === 'rsa') {
    const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
    if (!RSA_SIZES.has(bits)) throw new ScrydonError('key_unsupported', `${where}: RSA keys of ${bits} bits are not supported (2048, 3072 and 4096 are)`);
    return { algorithm: 'rsa-pkcs1v15-sha256', hash: 'sha256' };
  }
  if (type === 'ed25519') {
    throw new ScrydonError('key_unsupported', `${where}: Ed25519 keys are refused: cosign signs with them as Ed25519ph (pre-hashed), which Node cannot compute or verify`, {
      hint: 'use an ECDSA P-256 key (scrydon key generate writes one)',
    });
  }
  throw new ScrydonError('key_unsupported', `${where}: ${type ?? 'unknown'} keys are not supported (ECDSA P-256/P-384/P-521 and RSA are)`);
}

export function spkiDer(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'spki' });
}

/** cosign's key hint in a bundle: base64 of SHA-256 over the PKIX DER. */
export function keyHint(k: KeyObject): string {
  return createHash('sha256').update(spkiDer(k)).digest('base64');
}

export function publicKeyInfo(key: KeyObject, where: string): PublicKeyInfo {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const { algorithm, hash } = keyAlgorithm(pub, where);
  return {
    key: pub,
    algorithm,
    hash,
    fingerprint: `sha256:${createHash('sha256').update(spkiDer(pub)).digest('hex')}`,
    pem: pub.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** A PKIX public key PEM (`cosign.pub`), or the public key of a PEM certificate. */
export function parsePublicKey(pem: string, where: string): PublicKeyInfo {
  const label = pemLabel(pem);
  if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY' && label !== 'CERTIFICATE') {
    throw new ScrydonError('key_invalid', `${where}: not a public key PEM (found ${label ? `"${label}"` : 'no PEM block'})`, {
      hint: 'give the cosign.pub file (-----BEGIN PUBLIC KEY-----)',
    });
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
      throw new ScrydonError('key_password', `${where} is encrypted and no password was given`, { hint: 'set COSIGN_PASSWORD, or run on a terminal to be asked' });
    }
    const der = await decryptCosignKey(pem, password, where);
    try {
      privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new ScrydonError('key_invalid', `${where}: the decrypted key is not PKCS#8 (cosign refuses it too)`, { cause: e });
    }
  } else {
    const label = pemLabel(pem);
    if (label !== 'PRIVATE KEY' && label !== 'EC PRIVATE KEY' && label !== 'RSA PRIVATE KEY') {
      throw new ScrydonError('key_invalid', `${where}: not a private key PEM scrydon reads (found ${label ? `"${label}"` : 'no PEM block'})`, {
        hint: 'give cosign.key (ENCRYPTED SIGSTORE PRIVATE KEY) or an unencrypted PKCS#8 PEM',
      });
    }
    try {
      privateKey = createPrivateKey(pem);
    } catch (e) {
      throw new ScrydonError('key_invalid', `${where}: the private key does not parse`, { cause: e });
    }
  }
  return { privateKey, publicKey: publicKeyInfo(privateKey, where) };
}

export interface GeneratedKeyPair {
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

/** Signs `data` with the key's hash: DER ECDSA (what Go's SignASN1 gives) or RSA PKCS#1 v1.5. */
export function signData(k: SigningKey, data: Buffer): Buffer {
  return sign(k.publicKey.hash, data, k.privateKey);
}

export function verifyData(k: PublicKeyInfo, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(k.hash, data, k.key, signature);
  } catch {
    return false;
  }
}
