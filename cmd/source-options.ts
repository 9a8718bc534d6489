import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { loadAttestationPolicy, type AttestationRequirementSpec } from '../src/config/attestation-policy.js';
import { ScrydonError } from '../src/errors.js';
import {
  SOURCE_POLICIES,
  SOURCE_TYPES,
  type SourcePolicy,
  type SourceSpec,
  type SourceType,
} from '../src/sources/source-spec.js';
import { connectionFlags, type RegistryArgs } from './registry-options.js';

/** The flags that describe a source (`source add`, and `source test` of a source not registered yet). */
interface SourceFlags extends Omit<RegistryArgs, 'username' | 'password-stdin' | 'referrers'> {
  type: string | undefined;
  url: string | undefined;
  ref: string | undefined;
  'catalog-path': string | undefined;
  'credential-stdin': boolean;
  'signature-policy': string | undefined;
  'public-key': string | undefined;
  'certificate-identity': string | undefined;
  'certificate-identity-regexp': string | undefined;
  'certificate-oidc-issuer': string | undefined;
  'certificate-oidc-issuer-regexp': string | undefined;
  interval: string | undefined;
  'require-attestation': string[] | undefined;
}

export function sourceFlags<T>(y: Argv<T>): Argv<T & SourceFlags> {
  return connectionFlags(y)
    .option('type', { type: 'string', choices: [...SOURCE_TYPES], describe: 'git (a repository) or oci (a registry)' })
    .option('url', {
      type: 'string',
      describe: 'git: clone URL (https://, ssh://, USER@HOST:PATH, file://); oci: REGISTRY/REPOSITORY',
    })
    .option('ref', {
      type: 'string',
      describe: 'git branch, tag or commit (default main); OCI tag or digest (default catalog)',
    })
    .option('catalog-path', { type: 'string', describe: 'path of the catalog in the source (default scrydon.yaml)' })
    .option('credential-stdin', {
      type: 'boolean',
      default: false,
      describe: 'read the credential from stdin: a git PAT, an SSH deploy key (PEM), or username:token for OCI',
    })
    .option('signature-policy', {
      type: 'string',
      choices: [...SOURCE_POLICIES],
      describe: 'whose signatures the packs need (unsigned-allowed is an explicit opt-in)',
    })
    .option('public-key', { type: 'string', describe: 'cosign-key: the PEM public key file (cosign.pub)' })
    .option('certificate-identity', { type: 'string', describe: 'cosign-keyless: the exact certificate identity' })
    .option('certificate-identity-regexp', {
      type: 'string',
      describe: "cosign-keyless: a regexp the identity must match (unanchored, as cosign's)",
    })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'cosign-keyless: the exact OIDC issuer' })
    .option('certificate-oidc-issuer-regexp', {
      type: 'string',
      describe: 'cosign-keyless: a regexp the issuer must match',
    })
    .option('interval', {
      type: 'string',
      describe: 'how often reconcile --watch runs it: 30s … 1d (default 5m)',
    })
    .option('require-attestation', {
      type: 'string',
      array: true,
      describe:
        "an attestation policy file (verify-attestation --policy, with predicateType) every pack must satisfy, signed by the source's signer; repeatable; inlined into sources.yaml",
    }) as unknown as Argv<T & SourceFlags>;
}

async function policyFrom(a: SourceFlags): Promise<SourcePolicy> {
  const keyless =
    a['certificate-identity'] ??
    a['certificate-identity-regexp'] ??
    a['certificate-oidc-issuer'] ??
    a['certificate-oidc-issuer-regexp'];
  const kind =
    a['signature-policy'] ??
    (a['public-key'] !== undefined ? 'cosign-key' : keyless !== undefined ? 'cosign-keyless' : undefined);
  if (kind === undefined) {
    throw new ScrydonError('usage', 'a source needs a signature policy', {
      hint: '--signature-policy cosign-key --public-key cosign.pub, --signature-policy cosign-keyless --certificate-identity-regexp RE --certificate-oidc-issuer URL, or (explicitly) unsigned-allowed',
    });
  }
  if (kind !== 'cosign-key' && a['public-key'] !== undefined)
    throw new ScrydonError('usage', `--public-key goes with --signature-policy cosign-key, not ${kind}`);
  if (kind !== 'cosign-keyless' && keyless !== undefined)
    throw new ScrydonError('usage', `--certificate-* go with --signature-policy cosign-keyless, not ${kind}`);
  if (kind === 'unsigned-allowed') return { kind };
  if (kind === 'cosign-key') {
    if (a['public-key'] === undefined) throw new ScrydonError('usage', 'cosign-key needs --public-key FILE');
    const pem = await readFile(a['public-key'], 'utf8').catch((e: unknown) => {
      throw new ScrydonError(
        'not_found',
        `cannot read ${a['public-key']}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    });
    return { kind, publicKey: pem };
  }
  const p: SourcePolicy = { kind: 'cosign-keyless' };
  if (a['certificate-identity'] !== undefined) p.certificateIdentity = a['certificate-identity'];
  if (a['certificate-identity-regexp'] !== undefined) p.certificateIdentityRegexp = a['certificate-identity-regexp'];
  if (a['certificate-oidc-issuer'] !== undefined) p.certificateOidcIssuer = a['certificate-oidc-issuer'];
  if (a['certificate-oidc-issuer-regexp'] !== undefined)
    p.certificateOidcIssuerRegexp = a['certificate-oidc-issuer-regexp'];
  return p;
}

/** `--require-attestation FILE…`: each an attestation policy file with its predicate type, inlined. */
async function attestationsFrom(files: readonly string[]): Promise<AttestationRequirementSpec[]> {
  const out: AttestationRequirementSpec[] = [];
  for (const file of files) {
    const { apiVersion: _v, kind: _k, predicateType, ...rest } = await loadAttestationPolicy(file);
    if (predicateType === undefined)
      throw new ScrydonError('policy_invalid', `${file}: a required attestation needs predicateType`, {
        hint: 'predicateType: https://slsa.dev/provenance/v1 (see catalog-spec/attestation-policy.schema.json)',
      });
    out.push({ predicateType, ...rest });
  }
  return out;
}

/** The sources.yaml entry the flags describe (checked later by resolveSource). */
export async function specFromFlags(name: string, a: SourceFlags): Promise<SourceSpec> {
  if (a.type === undefined || a.url === undefined)
    throw new ScrydonError('usage', 'a source needs --type git|oci and --url URL');
  const spec: SourceSpec = { name, type: a.type as SourceType, url: a.url, signaturePolicy: await policyFrom(a) };
  const required = a['require-attestation'] ?? [];
  if (required.length) spec.signaturePolicy.attestations = await attestationsFrom(required);
  if (a.ref !== undefined) spec.ref = a.ref;
  if (a['catalog-path'] !== undefined) spec.catalogPath = a['catalog-path'];
  if (a.interval !== undefined) spec.interval = a.interval;
  const transport = {
    ...(a['plain-http'] ? { plainHttp: true } : {}),
    ...(a.insecure ? { insecure: true } : {}),
    ...(a['ca-file'] ? { caFile: resolve(a['ca-file']) } : {}),
  };
  if (Object.keys(transport).length) spec.transport = transport;
  return spec;
}

/** How a source's policy reads in a listing. */
export function policyText(p: SourcePolicy): string {
  const att = p.attestations?.length ? ` + attestations ${p.attestations.map((a) => a.predicateType).join(', ')}` : '';
  if (p.kind === 'cosign-key') return `cosign-key${att}`;
  if (p.kind === 'unsigned-allowed') return 'unsigned-allowed (!)';
  return `cosign-keyless ${p.certificateIdentity ?? p.certificateIdentityRegexp ?? ''} @ ${p.certificateOidcIssuer ?? p.certificateOidcIssuerRegexp ?? ''}${att}`;
}

export const UNSIGNED_WARNING =
  'unsigned-allowed: packs of this source are installed without signature verification (pending review until scrydon approve); every run is flagged in its history. Not for production.';
