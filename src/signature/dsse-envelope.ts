import { ScrydonError } from '../errors.js';

/** A DSSE envelope (github.com/secure-systems-lab/dsse), as a legacy cosign `.att` layer holds it. */
interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: Array<{ sig: Buffer; keyid: string }>;
}

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.byteLength} `, 'utf8'),
    payload,
  ]);
}

/**
 * The envelope JSON cosign 3 writes in a `.att` layer: encoding/json of the protobuf-specs Envelope
 * (cmd/cosign/cli/signcommon ExtractComponentsFromProtoBundle): fields in proto order, `[]byte` as standard base64,
 * an empty keyid left out (omitempty).
 */
export function encodeEnvelope(e: DsseEnvelope): Buffer {
  return Buffer.from(
    JSON.stringify({
      payload: e.payload.toString('base64'),
      payloadType: e.payloadType,
      signatures: e.signatures.map((s) =>
        s.keyid ? { sig: s.sig.toString('base64'), keyid: s.keyid } : { sig: s.sig.toString('base64') },
      ),
    }),
    'utf8',
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads an envelope in any key order (cosign 2 wrote securesystemslib's order: payloadType, payload, signatures). */
export function parseEnvelope(bytes: Buffer, where: string): DsseEnvelope {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('signature_unsupported', `${where}: the DSSE envelope is not JSON`, { cause: e });
  }
  const sigs = isRecord(v) ? v.signatures : undefined;
  if (
    !isRecord(v) ||
    typeof v.payload !== 'string' ||
    typeof v.payloadType !== 'string' ||
    !Array.isArray(sigs) ||
    !sigs.every((s) => isRecord(s) && typeof s.sig === 'string')
  ) {
    throw new ScrydonError(
      'signature_unsupported',
      `${where}: not a DSSE envelope ({payload, payloadType, signatures: [{sig}]})`,
    );
  }
  return {
    payloadType: v.payloadType,
    payload: Buffer.from(v.payload, 'base64'),
    signatures: (sigs as Array<Record<string, unknown>>).map((s) => ({
      sig: Buffer.from(String(s.sig), 'base64'),
      keyid: typeof s.keyid === 'string' ? s.keyid : '',
    })),
  };
}
