import { ScrydonError } from '../errors.js';
import { digestHex, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { checkAnnotations } from './simple-signing.js';

/** What cosign 3 signs an image with: an in-toto v1 statement of this predicate type (pkg/types CosignSignPredicateType). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const INTOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/**
 * The statement `cosign sign` (≥ 3.0.5) puts in its DSSE envelope: the digest as subject, the `-a` annotations on
 * it (`{}` when there are none: structpb.NewStruct of an empty map), an empty predicate.
 */
export function signStatement(digest: Digest, annotations: Readonly<Record<string, string>> = {}): Buffer {
  const subject = { digest: { sha256: digestHex(digest) }, annotations: { ...annotations } };
  return Buffer.from(
    JSON.stringify({
      _type: INTOTO_STATEMENT_V1,
      subject: [subject],
      predicateType: COSIGN_SIGN_PREDICATE,
      predicate: {},
    }),
    'utf8',
  );
}

/**
 * The statement an attestation signs: in-toto v1 (what cosign 3's bundle and GitHub's attest actions write),
 * the digest as its one subject, the predicate as given.
 */
export function attestationStatement(digest: Digest, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: INTOTO_STATEMENT_V1,
      subject: [{ digest: { sha256: digestHex(digest) } }],
      predicateType,
      predicate,
    }),
    'utf8',
  );
}

interface StatementCheck {
  digest: Digest;
  predicateType: string;
  annotations: Readonly<Record<string, string>>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The claim of a verified DSSE envelope: in-toto payload, the digest among the subjects, the predicate type and annotations asked for. */
export function checkStatement(
  payloadType: string,
  payload: Buffer,
  want: StatementCheck,
  where: string,
): { predicateType: string; predicate: unknown; subjects: string[] } {
  if (payloadType !== MediaType.inTotoPayload)
    throw new ScrydonError(
      'claim_mismatch',
      `${where}: the DSSE payload type is "${payloadType}", not ${MediaType.inTotoPayload}`,
    );
  let st: unknown;
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new ScrydonError('claim_mismatch', `${where}: the in-toto statement is not JSON`, { cause: e });
  }
  if (!isRecord(st) || !Array.isArray(st.subject))
    throw new ScrydonError('claim_mismatch', `${where}: the payload is not an in-toto statement`);
  const hex = digestHex(want.digest);
  const subject = st.subject.find(
    (s): s is Record<string, unknown> => isRecord(s) && isRecord(s.digest) && s.digest.sha256 === hex,
  );
  if (!subject)
    throw new ScrydonError('claim_mismatch', `${where}: the statement's subjects do not include ${want.digest}`);
  const predicateType = typeof st.predicateType === 'string' ? st.predicateType : '';
  if (predicateType !== want.predicateType) {
    throw new ScrydonError(
      'claim_mismatch',
      `${where}: the predicate type is "${predicateType}", not the required "${want.predicateType}"`,
    );
  }
  checkAnnotations(isRecord(subject.annotations) ? subject.annotations : {}, want.annotations, where);
  return { predicateType, predicate: st.predicate, subjects: subjectDigests(st.subject) };
}

/** The `sha256:<hex>` digests an in-toto statement's subjects name. */
export function subjectDigests(subjects: readonly unknown[]): string[] {
  return subjects.flatMap((s) =>
    isRecord(s) && isRecord(s.digest) && typeof s.digest.sha256 === 'string' ? [`sha256:${s.digest.sha256}`] : [],
  );
}
