import type { IncomingMessage } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from './proxy.js';
import type { RunningRegistry } from './registry.js';

/**
 * A registry with the OCI 1.1 referrers API, for the tests: a proxy in front of Debian's distribution 2.8 (which
 * has none, and no registry that has one can be installed here) that adds the API as distribution-spec 1.1 states
 * it ("Listing Referrers", "Pushing Manifests with Subject"), answering from what the registry actually stores:
 *
 * - `GET /v2/<name>/referrers/<digest>`: every manifest revision of the repository in distribution's storage whose
 *   `subject` names `<digest>` (what was pushed with a subject and not deleted since), as an image index of
 *   descriptors with `artifactType` (the manifest's, else its config's media type) and the manifest's annotations;
 *   200 with an empty index when there are none or the subject is absent, 400 on a malformed digest, 404
 *   NAME_UNKNOWN for a repository the registry does not have. `?artifactType=` filters, and the answer then
 *   carries `OCI-Filters-Applied: artifactType`. More than `pageSize` referrers are paged with a `Link` header
 *   (`rel="next"`). Access is the registry's: the client's Authorization goes to the registry's tags list of the
 *   repository first, and a 401/403 from it is the answer.
 * - A manifest PUT the registry accepted (201) whose manifest has a `subject` is answered with `OCI-Subject`.
 *
 * Everything else passes through to the registry unchanged. `served` records each referrers answer, `subjects`
 * each OCI-Subject sent.
 */

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REFERRERS = /^\/v2\/(.+)\/referrers\/([^/?]+)(?:\?(.*))?$/;
const MANIFEST_PUT = /^\/v2\/(.+)\/manifests\/[^/?]+$/;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface StoredManifest {
  descriptor: Descriptor;
  subject: string | undefined;
}

/** One referrers answer: which subject, which referrers (digests, in the order sent), and the filter applied. */
interface ServedReferrers {
  repository: string;
  subject: string;
  digests: string[];
  artifactType?: string;
}

export interface ReferrersFront extends RunningProxy {
  served: ServedReferrers[];
  /** Each manifest PUT answered with OCI-Subject: the manifest's digest and its subject. */
  subjects: Array<{ digest: string; subject: string }>;
}

const v2 = (storage: string): string => join(storage, 'docker', 'registry', 'v2');

/** A manifest in distribution's blob store (content-addressed: what was read once is kept). */
function manifestAt(storage: string, digest: string, cache: Map<string, StoredManifest>): StoredManifest | null {
  const seen = cache.get(digest);
  if (seen !== undefined) return seen;
  const hex = digest.slice('sha256:'.length);
  try {
    const bytes = readFileSync(join(v2(storage), 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'));
    const m = JSON.parse(bytes.toString('utf8')) as {
      mediaType?: string;
      artifactType?: string;
      manifests?: unknown;
      config?: { mediaType?: string };
      subject?: { digest?: string };
      annotations?: Record<string, string>;
    };
    const isIndex = m.mediaType === INDEX || (m.mediaType === undefined && Array.isArray(m.manifests));
    const descriptor: Descriptor = {
      mediaType: m.mediaType ?? (isIndex ? INDEX : MANIFEST),
      digest,
      size: bytes.length,
    };
    const artifactType = m.artifactType || (isIndex ? undefined : m.config?.mediaType);
    if (artifactType) descriptor.artifactType = artifactType;
    if (m.annotations && Object.keys(m.annotations).length > 0) descriptor.annotations = m.annotations;
    const parsed = { descriptor, subject: m.subject?.digest };
    cache.set(digest, parsed);
    return parsed;
  } catch {
    return null;
  }
}

/** The digests of the manifests `repository` holds now (revision links distribution removes on delete). */
function revisions(storage: string, repository: string): string[] | undefined {
  const repo = join(v2(storage), 'repositories', repository, '_manifests');
  if (!existsSync(repo)) return undefined;
  const dir = join(repo, 'revisions', 'sha256');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((hex) => existsSync(join(dir, hex, 'link')))
    .map((hex) => `sha256:${hex}`);
}

function json(status: number, body: unknown): { status: number; headers: Record<string, string>; body: string } {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

const error = (status: number, code: string, message: string) => json(status, { errors: [{ code, message }] });

/** Starts the front on 127.0.0.1; `pageSize` referrers at most per answer (default 100). */
export async function startReferrersFront(
  registry: RunningRegistry,
  o: { pageSize?: number } = {},
): Promise<ReferrersFront> {
  const pageSize = o.pageSize ?? 100;
  const cache = new Map<string, StoredManifest>();
  const served: ServedReferrers[] = [];
  const subjects: Array<{ digest: string; subject: string }> = [];

  /** The registry's answer to the client's credentials for `repository` (401/403 are passed on). */
  const access = async (req: IncomingMessage, repository: string): Promise<Response | undefined> => {
    const headers: Record<string, string> = {};
    if (typeof req.headers.authorization === 'string') headers.authorization = req.headers.authorization;
    const r = await fetch(`http://${registry.host}/v2/${repository}/tags/list?n=1`, { headers });
    await r.arrayBuffer();
    return r.status === 401 || r.status === 403 ? r : undefined;
  };

  const referrers = async (req: IncomingMessage, m: RegExpExecArray) => {
    const [, repository = '', subject = '', query = ''] = m;
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'UNSUPPORTED', 'GET the referrers list');
    if (!DIGEST.test(subject)) return error(400, 'DIGEST_INVALID', `${subject} is not a digest`);
    const denied = await access(req, repository);
    if (denied) {
      const e = error(denied.status, denied.status === 401 ? 'UNAUTHORIZED' : 'DENIED', 'access refused');
      const challenge = denied.headers.get('www-authenticate');
      if (challenge) e.headers['www-authenticate'] = challenge;
      return e;
    }
    const held = revisions(registry.storage, repository);
    if (held === undefined) return error(404, 'NAME_UNKNOWN', `repository ${repository} is not known to the registry`);
    const params = new URLSearchParams(query);
    const artifactType = params.get('artifactType') ?? undefined;
    const last = params.get('last') ?? '';
    const all = held
      .map((d) => manifestAt(registry.storage, d, cache))
      .filter((s): s is StoredManifest => s !== null && s.subject === subject)
      .map((s) => s.descriptor)
      .filter((d) => artifactType === undefined || d.artifactType === artifactType)
      .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const rest = all.filter((d) => d.digest > last);
    const page = rest.slice(0, pageSize);
    const headers: Record<string, string> = { 'content-type': INDEX };
    if (artifactType !== undefined) headers['oci-filters-applied'] = 'artifactType';
    if (rest.length > page.length) {
      const next = new URLSearchParams(params);
      next.set('last', page[page.length - 1]?.digest ?? '');
      headers.link = `</v2/${repository}/referrers/${subject}?${next.toString()}>; rel="next"`;
    }
    served.push({
      repository,
      subject,
      digests: page.map((d) => d.digest),
      ...(artifactType !== undefined ? { artifactType } : {}),
    });
    return {
      status: 200,
      headers,
      body: JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: page }),
    };
  };

  const proxy = await startProxy({
    upstream: registry.host,
    respond: (req) => {
      const m = REFERRERS.exec(req.url ?? '');
      return m ? referrers(req, m) : undefined;
    },
    addHeaders: (req, upstream) => {
      if (req.method !== 'PUT' || upstream.statusCode !== 201 || !MANIFEST_PUT.test(req.url ?? '')) return undefined;
      const digest = upstream.headers['docker-content-digest'];
      if (typeof digest !== 'string' || !DIGEST.test(digest)) return undefined;
      const subject = manifestAt(registry.storage, digest, cache)?.subject;
      if (!subject) return undefined;
      subjects.push({ digest, subject });
      return { 'oci-subject': subject };
    },
  });
  return Object.assign(proxy, { served, subjects });
}
