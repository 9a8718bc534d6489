import { ScrydonError } from '../errors.js';

/**
 * The Fulcio certificate extensions a CI workload identity carries (sigstore/fulcio docs/oid-info.md): read from the
 * DER of a signing certificate the verifier already accepted. Values of `.1.8` and up are DER UTF8Strings; `.1.1`
 * to `.1.6` (deprecated) raw strings.
 */
export const FulcioOid = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
} as const;

export type FulcioClaims = Partial<Record<keyof typeof FulcioOid, string>>;

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated');
  const tag = b[at] as number;
  let len = b[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] as number);
    start += n;
  }
  if (start + len > limit) throw new Error('truncated');
  return { tag, start, end: start + len };
}

function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.start; at < t.end;) {
    const c = tlv(b, at, t.end);
    out.push(c);
    at = c.end;
  }
  return out;
}

function oidString(b: Buffer): string {
  const first = b[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (const byte of b.subarray(1)) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function extensionValue(b: Buffer): string {
  if (b[0] === 0x0c) {
    try {
      const t = tlv(b, 0, b.length);
      if (t.end === b.length) return b.subarray(t.start, t.end).toString('utf8');
    } catch {
      /* a raw string that happens to start with 0x0c */
    }
  }
  return b.toString('utf8');
}

/** Every extension of a DER certificate, OID to value (its extnValue OCTET STRING's content). */
function extensions(der: Buffer): Map<string, Buffer> {
  const cert = tlv(der, 0, der.length);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new Error('no tbsCertificate');
  const out = new Map<string, Buffer>();
  const explicit = children(der, tbs).find((c) => c.tag === 0xa3);
  const list = explicit ? children(der, explicit)[0] : undefined;
  for (const ext of list ? children(der, list) : []) {
    const parts = children(der, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id?.tag === 0x06 && value?.tag === 0x04)
      out.set(oidString(der.subarray(id.start, id.end)), der.subarray(value.start, value.end));
  }
  return out;
}

/** The Fulcio claims of a certificate (DER); an absent extension is absent from the result. */
export function fulcioClaims(der: Buffer, where: string): FulcioClaims {
  let ext: Map<string, Buffer>;
  try {
    ext = extensions(der);
  } catch (e) {
    throw new ScrydonError('certificate_untrusted', `${where}: the signing certificate's extensions do not parse`, {
      cause: e,
    });
  }
  const out: FulcioClaims = {};
  for (const [name, oid] of Object.entries(FulcioOid) as Array<[keyof typeof FulcioOid, string]>) {
    const v = ext.get(oid);
    if (v) out[name] = extensionValue(v);
  }
  return out;
}
