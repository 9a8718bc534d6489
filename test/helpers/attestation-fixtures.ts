/**
 * An independent attestation signer: the bytes cosign 3 and GitHub's attest actions push, assembled here by hand
 * with Node's crypto and the OCI distribution API, using nothing of scrydon's src/. The shapes follow cosign v3
 * (d6d86c2): pkg/oci/remote/write.go WriteAttestationNewBundleFormat (the referrer manifest), go-containerregistry's
 * referrers fallback index (distribution-spec "Referrers Tag Schema"), cmd/cosign/cli/attest/attest.go (the legacy
 * `.att` layer: the DSSE envelope, annotations `dev.cosignproject.cosign/signature: ""` and `predicateType`), and the
 * Sigstore bundle v0.3 of protobuf-specs (sigstore_bundle.proto).
 */
import { createHash, sign, type KeyObject } from 'node:crypto';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const DSSE = 'application/vnd.dsse.envelope.v1+json';
const INTOTO = 'application/vnd.in-toto+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function desc(mediaType: string, b: Buffer): Desc {
  return { mediaType, digest: `sha256:${sha256hex(b)}`, size: b.length };
}

/** An in-toto v1 statement naming `subjectDigest` (`sha256:<hex>`). */
export function statement(subjectDigest: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact', digest: { sha256: subjectDigest.slice('sha256:'.length) } }],
      predicateType,
      predicate,
    }),
  );
}

/** DSSE v1 pre-authentication encoding. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** ECDSA P-256 SHA-256 (DER) over the PAE of `st`. */
export function dsseSign(st: Buffer, key: KeyObject): Buffer {
  return sign('sha256', pae(INTOTO, st), key);
}

/** A Sigstore bundle v0.3 signed with a key (cosign 3 `attest --key`: publicKey hint, no log entry). */
export function keyBundle(st: Buffer, priv: KeyObject, pub: KeyObject, sig = dsseSign(st, priv)): Buffer {
  const hint = createHash('sha256')
    .update(pub.export({ format: 'der', type: 'spki' }))
    .digest('base64');
  return Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE,
      verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
      dsseEnvelope: {
        payload: st.toString('base64'),
        payloadType: INTOTO,
        signatures: [{ sig: sig.toString('base64') }],
      },
    }),
  );
}

/** The `.att` layer blob: the envelope as cosign 3 writes it (encoding/json of the protobuf Envelope). */
export function envelope(st: Buffer, priv: KeyObject, sig = dsseSign(st, priv)): Buffer {
  return Buffer.from(
    JSON.stringify({
      payload: st.toString('base64'),
      payloadType: INTOTO,
      signatures: [{ sig: sig.toString('base64') }],
    }),
  );
}

/** Blobs and manifest to push. */
interface Pushable {
  blobs: Buffer[];
  manifest: Buffer;
  /** The manifest's annotations and artifactType, for a fallback index entry. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The bundle referrer manifest cosign 3 writes (with its artifactType on the config descriptor too). */
export function bundleReferrer(subject: Desc, bundle: Buffer, predicateType: string): Pushable {
  const config = Buffer.from('{}');
  const annotations = {
    'dev.sigstore.bundle.content': 'dsse-envelope',
    'dev.sigstore.bundle.predicateType': predicateType,
    'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { ...desc('application/vnd.oci.empty.v1+json', config), artifactType: BUNDLE },
      layers: [desc(BUNDLE, bundle)],
      annotations,
      subject,
      artifactType: BUNDLE,
    }),
  );
  return { blobs: [config, bundle], manifest, artifactType: BUNDLE, annotations };
}

/** A legacy `.att` image: go-containerregistry's empty image with one DSSE layer per attestation. */
export function attImage(
  layers: ReadonlyArray<{ envelope: Buffer; predicateType: string; annotations?: Record<string, string> }>,
): Pushable {
  const zero = '0001-01-01T00:00:00Z';
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: zero,
      history: layers.map(() => ({ created: zero })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => desc(DSSE, l.envelope).digest) },
      config: {},
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: desc('application/vnd.oci.image.config.v1+json', config),
      layers: layers.map((l) => ({
        ...desc(DSSE, l.envelope),
        annotations: { 'dev.cosignproject.cosign/signature': '', predicateType: l.predicateType, ...l.annotations },
      })),
    }),
  );
  return { blobs: [config, ...layers.map((l) => l.envelope)], manifest };
}

async function pushBlob(host: string, repo: string, b: Buffer): Promise<void> {
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const loc = new URL(start.headers.get('location') ?? '', `http://${host}`);
  loc.searchParams.set('digest', `sha256:${sha256hex(b)}`);
  const put = await fetch(loc, { method: 'PUT', body: b, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
}

async function putManifest(host: string, repo: string, ref: string, b: Buffer, type: string): Promise<void> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body: b,
    headers: { 'content-type': type },
  });
  if (r.status !== 201) throw new Error(`PUT manifest ${ref}: ${r.status} ${await r.text()}`);
}

/** The descriptor of `repo:tag` on the registry (HEAD). */
export async function headManifest(host: string, repo: string, ref: string): Promise<Desc> {
  const r = await fetch(`http://${host}/v2/${repo}/manifests/${ref}`, {
    method: 'HEAD',
    headers: { accept: `${OCI_MANIFEST}, ${OCI_INDEX}` },
  });
  if (r.status !== 200) throw new Error(`HEAD ${repo}:${ref}: ${r.status}`);
  return {
    mediaType: (r.headers.get('content-type') ?? '').split(';')[0] ?? '',
    digest: r.headers.get('docker-content-digest') ?? '',
    size: Number(r.headers.get('content-length')),
  };
}

/**
 * Pushes a referrer by digest, then (distribution 2.8 has no referrers API) adds it to the subject's fallback index
 * `sha256-<hex>` as go-containerregistry does: artifactType and the manifest's annotations on the entry.
 */
export async function pushReferrer(host: string, repo: string, subject: Desc, r: Pushable): Promise<string> {
  for (const b of r.blobs) await pushBlob(host, repo, b);
  const d = desc(OCI_MANIFEST, r.manifest);
  await putManifest(host, repo, d.digest, r.manifest, OCI_MANIFEST);
  const tag = `sha256-${subject.digest.slice('sha256:'.length)}`;
  const old = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
  const manifests = old.status === 200 ? ((await old.json()) as { manifests: unknown[] }).manifests : [];
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [...manifests, { ...d, artifactType: r.artifactType, annotations: r.annotations }],
    }),
  );
  await putManifest(host, repo, tag, index, OCI_INDEX);
  return d.digest;
}

/** Pushes a legacy `.att` image under cosign's tag `sha256-<hex>.att`. */
export async function pushAtt(host: string, repo: string, subject: Desc, r: Pushable): Promise<string> {
  for (const b of r.blobs) await pushBlob(host, repo, b);
  await putManifest(host, repo, `sha256-${subject.digest.slice('sha256:'.length)}.att`, r.manifest, OCI_MANIFEST);
  return desc(OCI_MANIFEST, r.manifest).digest;
}
