import { createHash, createPublicKey } from 'node:crypto';
import { parseDuration } from '../config/units.js';
import { ScrydonError } from '../errors.js';
import { isDigest } from '../oci/digest.js';
import { isSourceName } from './source-name.js';
import type { AttestationRequirementSpec } from '../config/attestation-policy.js';
import type { KeySigner, KeylessSigner } from '../config/policy.js';
import { ociRepository } from '../names/sources.js';

/**
 * A pack source as registered in `$SCRYDON_HOME/sources.yaml` (catalog-spec/sources.schema.json), and the same
 * with its defaults applied. Pure: no I/O. Defaults (catalog-spec/sources.schema.json): git ref `main`, OCI tag
 * `catalog`,
 * catalog path `scrydon.yaml`, interval 5 minutes (30 seconds … 1 day).
 */
export const SOURCE_TYPES = ['git', 'oci'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const SOURCE_POLICIES = ['cosign-keyless', 'cosign-key', 'unsigned-allowed'] as const;

/** Whose signatures a source's packs need, and which attestations (by the same signer) they must carry. */
export type SourcePolicy = (KeylessSigner | KeySigner | { kind: 'unsigned-allowed' }) & {
  attestations?: AttestationRequirementSpec[];
};

export interface SourceTransport {
  plainHttp?: boolean;
  insecure?: boolean;
  caFile?: string;
}

/** One entry of sources.yaml, as written. */
export interface SourceSpec {
  name: string;
  type: SourceType;
  url: string;
  ref?: string;
  catalogPath?: string;
  interval?: string;
  enabled?: boolean;
  signaturePolicy: SourcePolicy;
  transport?: SourceTransport;
  credential?: 'stored' | 'none';
  addedAt?: string;
}

/** A source with every default applied: what a reconcile run works from. */
export interface Source {
  name: string;
  type: SourceType;
  url: string;
  ref: string;
  catalogPath: string;
  interval: string;
  intervalMs: number;
  enabled: boolean;
  signaturePolicy: SourcePolicy;
  transport: { plainHttp: boolean; insecure: boolean; caFile?: string };
  /** Whether a credential is stored under `pack-source-<name>`. */
  credential: boolean;
  /** `sources.yaml` for registered sources, else the file given to `reconcile -f` (read-only, "managed by file"). */
  managedBy: string;
}

const DEFAULT_GIT_REF = 'main';
export const DEFAULT_OCI_TAG = 'catalog';
const DEFAULT_CATALOG_PATH = 'scrydon.yaml';
const DEFAULT_INTERVAL = '5m';
const MIN_INTERVAL_MS = 30_000;
const MAX_INTERVAL_MS = 86_400_000;
export const REGISTERED = 'sources.yaml';

function usage(message: string, hint?: string): ScrydonError {
  return new ScrydonError('usage', message, hint ? { hint } : {});
}

function assertSourceName(name: string): void {
  if (!isSourceName(name))
    throw usage(
      `"${name.slice(0, 100)}" is not a source name`,
      'source names are letters, digits, . _ - (at most 128), starting with a letter or digit',
    );
}

/** The interval in milliseconds, within 30 seconds … 1 day. */
function intervalMs(interval: string): number {
  const ms = parseDuration(interval, 'interval');
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw usage(
      `interval ${interval} is outside 30s … 1d`,
      'sources are reconciled at most every 30 seconds and at least once a day',
    );
  }
  return ms;
}

const SCP_LIKE = /^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!\/\/)[^\s]+$/;

/** How a git URL is reached: decides which credential fits and which flags apply. */
export function gitUrlKind(url: string): 'https' | 'http' | 'ssh' | 'file' {
  if (url.startsWith('-')) throw usage(`git URL "${url}" may not start with -`);
  if (/^https:\/\//i.test(url)) return 'https';
  if (/^http:\/\//i.test(url)) return 'http';
  if (/^ssh:\/\//i.test(url) || (!url.includes('://') && SCP_LIKE.test(url))) return 'ssh';
  if (/^file:\/\/\//i.test(url)) return 'file';
  throw usage(
    `"${url.slice(0, 200)}" is not a git URL scrydon fetches`,
    'use https://HOST/REPO.git, ssh://HOST/REPO, USER@HOST:REPO or file:///ABSOLUTE/PATH',
  );
}

function checkGitUrl(url: string, transport: SourceTransport): void {
  const kind = gitUrlKind(url);
  if (kind === 'https' || kind === 'http') {
    const u = new URL(url);
    if (u.password)
      throw usage(
        `the URL of a source may not carry a password`,
        'give the token with --credential-stdin; it goes to the secret store',
      );
    if (kind === 'http' && !transport.plainHttp)
      throw usage(`${u.host} would be reached over plain HTTP`, 'pass --plain-http for a test server, or use https://');
  }
}

function checkPolicy(p: SourcePolicy, name: string): void {
  if (p.attestations?.length && p.kind === 'unsigned-allowed')
    throw new ScrydonError('policy_invalid', `source ${name}: attestations need a signer; unsigned-allowed has none`, {
      hint: 'require attestations with --signature-policy cosign-key or cosign-keyless',
    });
  if (p.kind === 'cosign-key') {
    try {
      createPublicKey(p.publicKey);
    } catch {
      throw usage(`source ${name}: the public key does not parse as PEM`);
    }
  }
  if (p.kind === 'cosign-keyless') {
    if (p.certificateIdentity === undefined && p.certificateIdentityRegexp === undefined) {
      throw usage(`source ${name}: cosign-keyless needs --certificate-identity-regexp (or certificateIdentity)`);
    }
    if (p.certificateOidcIssuer === undefined && p.certificateOidcIssuerRegexp === undefined) {
      throw usage(`source ${name}: cosign-keyless needs --certificate-oidc-issuer`);
    }
    for (const re of [p.certificateIdentityRegexp, p.certificateOidcIssuerRegexp]) {
      if (re === undefined) continue;
      try {
        new RegExp(re, 'u');
      } catch (e) {
        throw usage(
          `source ${name}: ${JSON.stringify(re)} is not a valid regular expression (${(e as Error).message})`,
        );
      }
    }
  }
}

/** Applies defaults and checks what the schema cannot (URL shape, interval bounds, key, regexps). */
export function resolveSource(spec: SourceSpec, managedBy = REGISTERED): Source {
  assertSourceName(spec.name);
  const transport = {
    plainHttp: spec.transport?.plainHttp ?? false,
    insecure: spec.transport?.insecure ?? false,
    ...(spec.transport?.caFile ? { caFile: spec.transport.caFile } : {}),
  };
  if (spec.type === 'git') checkGitUrl(spec.url, transport);
  else ociRepository(spec.url);
  const ref = spec.ref ?? (spec.type === 'git' ? DEFAULT_GIT_REF : DEFAULT_OCI_TAG);
  if (spec.type === 'oci' && !isDigest(ref) && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(ref)) {
    throw usage(`source ${spec.name}: "${ref}" is not an OCI tag or sha256 digest`);
  }
  checkPolicy(spec.signaturePolicy, spec.name);
  const interval = spec.interval ?? DEFAULT_INTERVAL;
  return {
    name: spec.name,
    type: spec.type,
    url: spec.url.replace(/\/+$/, ''),
    ref,
    catalogPath: spec.catalogPath ?? DEFAULT_CATALOG_PATH,
    interval,
    intervalMs: intervalMs(interval),
    enabled: spec.enabled ?? true,
    signaturePolicy: spec.signaturePolicy,
    transport,
    credential: spec.credential === 'stored',
    managedBy,
  };
}

/**
 * What a run's result depends on besides the catalog revision: type, URL, ref, path and policy. A run is
 * skipped as unchanged only when both the revision and this are what the last successful run saw.
 */
export function sourceConfigHash(s: Source): string {
  const v = JSON.stringify([s.type, s.url, s.ref, s.catalogPath, s.signaturePolicy]);
  return `sha256:${createHash('sha256').update(v).digest('hex')}`;
}

/** The secret-store key of a source's credential (the same store as `scrydon login`). */
export function sourceSecretKey(name: string): string {
  assertSourceName(name);
  return `pack-source-${name}`;
}

/**
 * Checks that a credential fits the source: a PEM private key (deploy key) for git over SSH, a token for git
 * over HTTPS (or `user:token`), `username:token` for OCI. The message never quotes the credential.
 */
export function checkCredential(s: Pick<Source, 'type' | 'url' | 'name'>, credential: string): void {
  const pem = /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(credential.trim());
  if (s.type === 'oci') {
    if (pem || !credential.includes(':') || /[\r\n]/.test(credential))
      throw usage(`source ${s.name}: an OCI credential is username:token on one line`);
    return;
  }
  const kind = gitUrlKind(s.url);
  if (kind === 'ssh' && !pem)
    throw usage(
      `source ${s.name}: a git source over SSH needs a deploy key in PEM form (-----BEGIN … PRIVATE KEY-----)`,
    );
  if (kind === 'file') throw usage(`source ${s.name}: a file:// source takes no credential`);
  if ((kind === 'https' || kind === 'http') && (pem || /[\r\n]/.test(credential)))
    throw usage(`source ${s.name}: a git source over HTTPS takes a personal access token (one line)`);
}
