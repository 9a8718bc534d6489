import { ScrydonError } from '../errors.js';
import type { LegacyLayer } from './legacy-format.js';

/** The parts of a legacy simple-signing layer, already decoded by the caller. */
export interface LegacyParts {
  /** What the signature is over: the simple-signing payload, or a DSSE envelope's pre-authentication encoding. */
  payload: Buffer;
  /** The payload hash a log entry records, when it is not sha256(payload) (a DSSE entry: the statement's). */
  payloadDigest?: Buffer | undefined;
  signature: Buffer;
  certificatePem: string | undefined;
  rekorBundle: RekorBundle | undefined;
  rfc3161: Buffer | undefined;
}

export interface RekorBundle {
  signedEntryTimestamp: Buffer;
  body: Buffer;
  integratedTime: number;
  logIndex: number;
  logId: Buffer;
  kind: string;
  apiVersion: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** cosign's `dev.sigstore.cosign/bundle` annotation: `{SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}`. */
function parseRekorBundle(json: string, where: string): RekorBundle {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new ScrydonError('tlog_invalid', `${where}: the Rekor bundle annotation is not JSON`, { cause: e });
  }
  const p = isRecord(v) ? v.Payload : undefined;
  if (
    !isRecord(v) ||
    !isRecord(p) ||
    typeof v.SignedEntryTimestamp !== 'string' ||
    typeof p.body !== 'string' ||
    typeof p.integratedTime !== 'number' ||
    typeof p.logIndex !== 'number' ||
    typeof p.logID !== 'string'
  ) {
    throw new ScrydonError(
      'tlog_invalid',
      `${where}: the Rekor bundle annotation lacks SignedEntryTimestamp or Payload {body, integratedTime, logIndex, logID}`,
    );
  }
  const body = Buffer.from(p.body, 'base64');
  let kind = '';
  let apiVersion = '';
  try {
    const b = JSON.parse(body.toString('utf8')) as unknown;
    if (isRecord(b)) {
      kind = String(b.kind);
      apiVersion = String(b.apiVersion);
    }
  } catch (e) {
    throw new ScrydonError('tlog_invalid', `${where}: the Rekor entry body is not JSON`, { cause: e });
  }
  return {
    signedEntryTimestamp: Buffer.from(v.SignedEntryTimestamp, 'base64'),
    body,
    integratedTime: p.integratedTime,
    logIndex: p.logIndex,
    logId: Buffer.from(p.logID, 'hex'),
    kind,
    apiVersion,
  };
}

function parseTimestampAnnotation(json: string, where: string): Buffer {
  try {
    const v = JSON.parse(json) as unknown;
    if (isRecord(v) && typeof v.SignedRFC3161Timestamp === 'string')
      return Buffer.from(v.SignedRFC3161Timestamp, 'base64');
  } catch {
    /* reported below */
  }
  throw new ScrydonError(
    'timestamp_invalid',
    `${where}: the rfc3161timestamp annotation is not {"SignedRFC3161Timestamp": "<base64>"}`,
  );
}

/** The decoded evidence of one simple-signing layer, for the adapter. */
export function legacyParts(layer: LegacyLayer, payload: Buffer, where: string): LegacyParts {
  return {
    payload,
    signature: Buffer.from(layer.signature, 'base64'),
    certificatePem: layer.certificate,
    rekorBundle: layer.bundle ? parseRekorBundle(layer.bundle, where) : undefined,
    rfc3161: layer.rfc3161timestamp ? parseTimestampAnnotation(layer.rfc3161timestamp, where) : undefined,
  };
}
