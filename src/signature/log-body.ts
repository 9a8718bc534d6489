import { createPublicKey, X509Certificate } from 'node:crypto';
import { ScrydonError } from '../errors.js';

/** The signer recorded in a Rekor entry body: a certificate (DER, with its key) or a bare public key. */
export type LogBodyVerifier = { kind: 'certificate'; der: Buffer; spki: Buffer } | { kind: 'key'; spki: Buffer };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(v: unknown, ...path: Array<string | number>): unknown {
  let cur = v;
  for (const k of path) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isRecord(cur) ? cur[k] : undefined;
  }
  return cur;
}

function fromPem(pem: string, where: string): LogBodyVerifier {
  try {
    if (pem.includes('BEGIN CERTIFICATE')) {
      const c = new X509Certificate(pem);
      return { kind: 'certificate', der: c.raw, spki: c.publicKey.export({ format: 'der', type: 'spki' }) };
    }
    return { kind: 'key', spki: createPublicKey(pem).export({ format: 'der', type: 'spki' }) };
  } catch (e) {
    throw new ScrydonError('tlog_mismatch', `${where}: the log entry's public key does not parse`, { cause: e });
  }
}

function fromV2(v: unknown, where: string): LogBodyVerifier {
  const cert = at(v, 'x509Certificate', 'rawBytes');
  if (typeof cert === 'string') {
    const c = new X509Certificate(Buffer.from(cert, 'base64'));
    return { kind: 'certificate', der: c.raw, spki: c.publicKey.export({ format: 'der', type: 'spki' }) };
  }
  const key = at(v, 'publicKey', 'rawBytes');
  if (typeof key === 'string') return { kind: 'key', spki: Buffer.from(key, 'base64') };
  throw new ScrydonError('tlog_mismatch', `${where}: the log entry names no verifier`);
}

/**
 * Who signed, according to a canonical Rekor entry body. Only the kinds a signature can carry and
 * sigstore-js 3.x can check are accepted: hashedrekord and dsse, 0.0.1 (Rekor v1) and 0.0.2 (Rekor v2).
 * `rekord` (cosign before 1.4) and anything else are refused with a clear error.
 */
export function bodyVerifier(body: Buffer, where: string): LogBodyVerifier {
  let b: unknown;
  try {
    b = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('tlog_mismatch', `${where}: the log entry body is not JSON`, { cause: e });
  }
  const kind = at(b, 'kind');
  const version = at(b, 'apiVersion');
  const id = `${String(kind)} ${String(version)}`;
  const pem = (v: unknown): LogBodyVerifier => {
    if (typeof v !== 'string')
      throw new ScrydonError('tlog_mismatch', `${where}: the ${id} log entry names no public key`);
    return fromPem(Buffer.from(v, 'base64').toString('utf8'), where);
  };
  if (kind === 'hashedrekord' && version === '0.0.1') return pem(at(b, 'spec', 'signature', 'publicKey', 'content'));
  if (kind === 'dsse' && version === '0.0.1') return pem(at(b, 'spec', 'signatures', 0, 'verifier'));
  if (kind === 'hashedrekord' && version === '0.0.2')
    return fromV2(at(b, 'spec', 'hashedRekordV002', 'signature', 'verifier'), where);
  if (kind === 'dsse' && version === '0.0.2')
    return fromV2(at(b, 'spec', 'dsseV002', 'signatures', 0, 'verifier'), where);
  if (kind === 'rekord') {
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: the log entry is a "rekord" entry (cosign before 1.4, 2021); scrydon verifies hashedrekord and dsse entries only`,
      {
        hint: 're-sign the artifact with a current cosign or scrydon',
      },
    );
  }
  throw new ScrydonError(
    'signature_unsupported',
    `${where}: log entries of kind ${id} are not supported (hashedrekord and dsse are)`,
  );
}
