import { ScrydonError } from '../errors.js';

/** `critical.type` of every cosign simple-signing payload. */
const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/** JSON the way Go's encoding/json writes it: compact, and <, >, & escaped (so the bytes match cosign's). */
function goJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortedObject(o: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as string;
  return out;
}

/**
 * The payload cosign signs for `.sig` signatures (sigstore/sigstore payload.go): critical identity, image
 * digest and type, then `optional`, null without annotations (Go sorts map keys).
 */
export function simpleSigningPayload(
  dockerReference: string,
  digest: string,
  annotations: Readonly<Record<string, string>> = {},
): Buffer {
  const optional = Object.keys(annotations).length ? sortedObject(annotations) : null;
  return Buffer.from(
    goJson({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: SIMPLE_SIGNING_TYPE,
      },
      optional,
    }),
    'utf8',
  );
}

interface SimpleSigningClaim {
  digest: string;
  type: string;
  dockerReference: string | undefined;
  optional: Record<string, unknown>;
}

/** A key of `o` matched case-insensitively, as Go's json.Unmarshal does (old docs print `Docker-manifest-digest`). */
function field(o: unknown, key: string): unknown {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const rec = o as Record<string, unknown>;
  if (key in rec) return rec[key];
  const hit = Object.keys(rec).find((k) => k.toLowerCase() === key.toLowerCase());
  return hit === undefined ? undefined : rec[hit];
}

export function parseSimpleSigning(bytes: Buffer, where: string): SimpleSigningClaim {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('claim_mismatch', `${where}: the simple-signing payload is not JSON`, { cause: e });
  }
  const critical = field(v, 'critical');
  const digest = field(field(critical, 'image'), 'docker-manifest-digest');
  const type = field(critical, 'type');
  const ref = field(field(critical, 'identity'), 'docker-reference');
  const optional = field(v, 'optional');
  if (typeof digest !== 'string' || typeof type !== 'string') {
    throw new ScrydonError(
      'claim_mismatch',
      `${where}: the payload has no critical.image.docker-manifest-digest or critical.type`,
    );
  }
  return {
    digest,
    type,
    dockerReference: typeof ref === 'string' ? ref : undefined,
    optional:
      typeof optional === 'object' && optional !== null && !Array.isArray(optional)
        ? (optional as Record<string, unknown>)
        : {},
  };
}

/**
 * cosign's SimpleClaimVerifier: the payload names the verified digest, has the cosign type, and carries every
 * `-a` annotation asked for. `docker-reference` is ignored, as cosign ignores it (the signature is over the digest).
 */
export function checkSimpleSigningClaim(
  c: SimpleSigningClaim,
  digest: string,
  annotations: Readonly<Record<string, string>>,
  where: string,
): void {
  if (c.type !== SIMPLE_SIGNING_TYPE)
    throw new ScrydonError('claim_mismatch', `${where}: critical.type is "${c.type}", not "${SIMPLE_SIGNING_TYPE}"`);
  if (c.digest !== digest)
    throw new ScrydonError('claim_mismatch', `${where}: the signature is over ${c.digest}, not ${digest}`);
  checkAnnotations(c.optional, annotations, where);
}

/** Every requested annotation must be present with the same value. */
export function checkAnnotations(
  have: Readonly<Record<string, unknown>>,
  want: Readonly<Record<string, string>>,
  where: string,
): void {
  for (const [k, v] of Object.entries(want)) {
    if (have[k] !== v)
      throw new ScrydonError(
        'claim_mismatch',
        `${where}: annotation ${k}=${v} is not in the signed claim${k in have ? ` (it has ${k}=${String(have[k])})` : ''}`,
      );
  }
}
