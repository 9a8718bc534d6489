import { createHash } from 'node:crypto';

/**
 * Publishes a scrydon.yaml to a registry the way the reference's CI does with
 * `oras push REPO:catalog --artifact-type application/vnd.scrydon.catalog.v1+yaml
 * scrydon.yaml:application/vnd.scrydon.catalog.v1+yaml`:
 * an OCI 1.1 artifact manifest (empty config, one layer titled scrydon.yaml), over plain HTTP, without scrydon.
 */
const CATALOG_TYPE = 'application/vnd.scrydon.catalog.v1+yaml';
const EMPTY = Buffer.from('{}');

function digestOf(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

async function putBlob(host: string, repo: string, body: Buffer, h: Record<string, string>): Promise<string> {
  const digest = digestOf(body);
  const head = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: h });
  if (head.status === 200) return digest;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: h });
  await start.arrayBuffer();
  const location = start.headers.get('location');
  if (start.status !== 202 || !location) throw new Error(`blob upload to ${host}/${repo}: ${start.status}`);
  const url = new URL(location, `http://${host}`);
  url.searchParams.set('digest', digest);
  const res = await fetch(url, {
    method: 'PUT',
    headers: { ...h, 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`blob upload to ${host}/${repo}: ${res.status}`);
  return digest;
}

/** Pushes `yaml` as `host/repo:tag` (with Basic auth `user:password` when given); returns the manifest digest. */
export async function publishCatalog(
  host: string,
  repo: string,
  tag: string,
  yaml: string,
  basic?: string,
): Promise<string> {
  const h: Record<string, string> = basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {};
  const layer = Buffer.from(yaml);
  const layerDigest = await putBlob(host, repo, layer, h);
  const configDigest = await putBlob(host, repo, EMPTY, h);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: CATALOG_TYPE,
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: configDigest,
        size: EMPTY.byteLength,
        data: 'e30=',
      },
      layers: [
        {
          mediaType: CATALOG_TYPE,
          digest: layerDigest,
          size: layer.byteLength,
          annotations: { 'org.opencontainers.image.title': 'scrydon.yaml' },
        },
      ],
      annotations: { 'org.opencontainers.image.created': new Date().toISOString() },
    }),
  );
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...h, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`manifest push to ${host}/${repo}:${tag}: ${res.status}`);
  return digestOf(manifest);
}

const FIXTURE_KEY = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELCGKhgsVq1o6BFn+lACVm+y86Ohi',
  'wLav1k+GTkHdhEd6HxKX7ThZaSl7/74xL92yDTpFYjI/nT6ca10utv26Fg==',
  '-----END PUBLIC KEY-----',
].join('\n');

/** A PackCatalog with oci entries: [id, version, ref, signature kind, the public key the CATALOG claims (cosign-key)]. */
export function ociCatalog(entries: ReadonlyArray<readonly [string, string, string, string, string?]>): string {
  const lines = ['apiVersion: scrydon.io/v1', 'kind: PackCatalog', 'packs:'];
  for (const [id, version, ref, sig, key] of entries) {
    lines.push(
      `  - id: ${id}`,
      `    version: ${version}`,
      '    artifact:',
      '      kind: oci',
      `      ref: ${ref}`,
      '    signature:',
      `      kind: ${sig}`,
    );
    if (sig === 'cosign-keyless')
      lines.push(
        '      certificateIdentityRegexp: ".*"',
        '      certificateOidcIssuer: https://token.actions.githubusercontent.com',
      );
    if (sig === 'cosign-key')
      lines.push(
        '      publicKey: |',
        ...(key ?? FIXTURE_KEY)
          .trim()
          .split('\n')
          .map((l) => `        ${l}`),
      );
  }
  return lines.join('\n') + '\n';
}

/** `scrydon source add NAME --type oci --url URL --plain-http` under a cosign-key policy with `publicKey`, plus `extra`. */
export function addOciSourceArgs(name: string, url: string, publicKey: string, ...extra: string[]): string[] {
  return [
    'source',
    'add',
    name,
    '--type',
    'oci',
    '--url',
    url,
    '--plain-http',
    ...extra,
    '--signature-policy',
    'cosign-key',
    '--public-key',
    publicKey,
  ];
}
