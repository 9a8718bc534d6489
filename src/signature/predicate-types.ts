import { ScrydonError } from '../errors.js';

/**
 * The `--type` names cosign knows and the in-toto predicate types they stand for (cosign v3
 * cmd/cosign/cli/options/predicate.go `PredicateTypeMap`, with in-toto-golang's and cosign's own constants).
 * `slsaprovenance` is SLSA v0.2 in cosign; `slsaprovenance1` is SLSA v1.
 */
const PREDICATE_TYPES: Readonly<Record<string, string>> = {
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  link: 'https://in-toto.io/Link/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

export const PREDICATE_TYPE_NAMES = Object.keys(PREDICATE_TYPES);

/** A `--type` value as a predicate type URI: a cosign name, `custom:URI`, or a URI itself (cosign accepts a bare URI). */
export function predicateTypeOf(type: string): string {
  const named = Object.hasOwn(PREDICATE_TYPES, type) ? PREDICATE_TYPES[type] : undefined;
  if (named !== undefined) return named;
  const uri = type.startsWith('custom:') ? type.slice('custom:'.length) : type;
  let ok = false;
  try {
    ok = /^[a-z][a-z0-9+.-]*:/i.test(uri) && new URL(uri).protocol.length > 1;
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ScrydonError('usage', `--type "${type}" is neither a predicate name nor a URI`, {
      hint: `give one of ${PREDICATE_TYPE_NAMES.join(', ')}, or custom:URI`,
    });
  return uri;
}
