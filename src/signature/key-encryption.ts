import { randomBytes, scrypt } from 'node:crypto';
import { ScrydonError } from '../errors.js';

/**
 * cosign's private-key encryption (go-securesystemslib `encrypted`): PKCS#8 DER sealed with NaCl secretbox
 * (XSalsa20-Poly1305) under a 32-byte scrypt key, the JSON envelope base64-encoded inside a PEM block.
 */
const ENCRYPTED_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
const ENCRYPTED_LABELS: ReadonlySet<string> = new Set([ENCRYPTED_LABEL, 'ENCRYPTED COSIGN PRIVATE KEY']);

/** The scrypt parameter sets cosign's CheckParams accepts (a huge N would be a denial of service). */
const ALLOWED_SCRYPT_PARAMS: ReadonlyArray<ScryptParams> = [
  { N: 32768, r: 8, p: 1 },
  { N: 65536, r: 8, p: 1 },
  { N: 131072, r: 8, p: 1 },
];
/** What `scrydon key generate` writes: cosign's current default. */
const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 65536, r: 8, p: 1 };

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

interface Envelope {
  kdf: { name: string; params: ScryptParams; salt: Buffer };
  cipher: { name: string; nonce: Buffer };
  ciphertext: Buffer;
}

/** The PEM label of a block that starts `pem`, or undefined. */
export function pemLabel(pem: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
}

export function isEncryptedCosignKey(pem: string): boolean {
  const label = pemLabel(pem);
  return label !== undefined && ENCRYPTED_LABELS.has(label);
}

function pemBody(pem: string, where: string): Buffer {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m?.[2]) throw new ScrydonError('key_invalid', `${where}: not a PEM block`);
  return Buffer.from(m[2].replace(/\s+/g, ''), 'base64');
}

function deriveKey(password: string, salt: Buffer, p: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is below what N=2^16, r=8 needs (128 * N * r bytes = 64 MiB)
  const maxmem = 128 * p.N * p.r + 16 * 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(Buffer.from(password, 'utf8'), salt, 32, { N: p.N, r: p.r, p: p.p, maxmem }, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

function b64Field(v: unknown, what: string, where: string): Buffer {
  if (typeof v !== 'string') throw new ScrydonError('key_invalid', `${where}: ${what} is missing`);
  return Buffer.from(v, 'base64');
}

function parseEnvelope(pem: string, where: string): Envelope {
  let v: unknown;
  try {
    v = JSON.parse(pemBody(pem, where).toString('utf8'));
  } catch (e) {
    throw new ScrydonError('key_invalid', `${where}: the encrypted key is not cosign's JSON envelope`, { cause: e });
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, Record<string, unknown> | undefined>;
  const kdf = o.kdf ?? {};
  const cipher = o.cipher ?? {};
  const params = (kdf.params ?? {}) as Record<string, unknown>;
  if (kdf.name !== 'scrypt' || cipher.name !== 'nacl/secretbox') {
    throw new ScrydonError(
      'key_params_unsupported',
      `${where}: kdf "${String(kdf.name)}" with cipher "${String(cipher.name)}" is not cosign's scrypt + nacl/secretbox`,
    );
  }
  const N = params.N;
  const r = params.r;
  const p = params.p;
  if (!ALLOWED_SCRYPT_PARAMS.some((a) => a.N === N && a.r === r && a.p === p)) {
    throw new ScrydonError(
      'key_params_unsupported',
      `${where}: scrypt parameters N=${String(N)} r=${String(r)} p=${String(p)} are not a set cosign accepts`,
      {
        hint: 'cosign (and scrydon) decrypt only N=32768, 65536 or 131072 with r=8, p=1',
      },
    );
  }
  return {
    kdf: {
      name: 'scrypt',
      params: { N: N as number, r: r as number, p: p as number },
      salt: b64Field(kdf.salt, 'the scrypt salt', where),
    },
    cipher: { name: 'nacl/secretbox', nonce: b64Field(cipher.nonce, 'the nonce', where) },
    ciphertext: b64Field((o as Record<string, unknown>).ciphertext, 'the ciphertext', where),
  };
}

/**
 * tweetnacl (62 KB), imported when a key is encrypted or decrypted: every command that reads public keys (inspect,
 * verify, reconcile) imports this module for pemLabel and would otherwise compile it at start.
 */
const loadNacl = async (): Promise<typeof import('tweetnacl')> => (await import('tweetnacl')).default;

/** Decrypts an `ENCRYPTED SIGSTORE|COSIGN PRIVATE KEY` PEM to the PKCS#8 DER it holds. */
export async function decryptCosignKey(pem: string, password: string, where: string): Promise<Buffer> {
  const env = parseEnvelope(pem, where);
  const nacl = await loadNacl();
  if (env.cipher.nonce.length !== nacl.secretbox.nonceLength)
    throw new ScrydonError('key_invalid', `${where}: the nonce is not 24 bytes`);
  const key = await deriveKey(password, env.kdf.salt, env.kdf.params);
  const der = nacl.secretbox.open(
    new Uint8Array(env.ciphertext),
    new Uint8Array(env.cipher.nonce),
    new Uint8Array(key),
  );
  if (!der) {
    throw new ScrydonError('key_password', `${where}: the password does not decrypt this key`, {
      hint: "set COSIGN_PASSWORD to the key's password (an empty password is valid)",
    });
  }
  return Buffer.from(der);
}

function wrapPem(label: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Encrypts PKCS#8 DER as cosign does; cosign decrypts what this writes. */
export async function encryptCosignKey(
  pkcs8: Buffer,
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  const nacl = await loadNacl();
  const salt = randomBytes(32);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = await deriveKey(password, salt, params);
  const sealed = Buffer.from(nacl.secretbox(new Uint8Array(pkcs8), new Uint8Array(nonce), new Uint8Array(key)));
  // field order as Go's encoding/json writes the struct
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: sealed.toString('base64'),
  });
  return wrapPem(ENCRYPTED_LABEL, Buffer.from(json, 'utf8'));
}
