import { Readable } from 'node:stream';
import type { IoOptions, Target } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';
import { descriptorOf } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { readNode } from '../pack/read.js';
import { bundleReferrer } from './bundle-format.js';
import { findSignatures } from './discover.js';
import { COSIGN_SIGN_PREDICATE, signStatement } from './intoto.js';
import { signData, type SigningKey } from './keys.js';
import { legacyImage, type LegacyLayer } from './legacy-format.js';
import { buildKeyDsseBundle } from './sigstore-adapter.js';
import { simpleSigningPayload } from './simple-signing.js';

type SignatureFormat = 'bundle' | 'legacy';

export interface SignOptions extends IoOptions {
  /** Write cosign's legacy `sha256-<hex>.sig` tag instead of a bundle referrer. */
  legacy?: boolean;
  /** Sign an index's child manifests too (default true). */
  recursive?: boolean;
  /** `-a key=value`: in-toto subject annotations, or the simple-signing `optional` map. */
  annotations?: Readonly<Record<string, string>>;
  /** The repository the legacy payload names (`critical.identity.docker-reference`). */
  dockerReference: string;
  /** The reference this target keeps a digest's `.sig` tag under. */
  legacyTagRef: (subject: Descriptor) => string;
  /** The bundle referrer's `org.opencontainers.image.created` (default now). */
  created?: string;
}

export interface SignResult {
  /** The digest signed. */
  digest: string;
  format: SignatureFormat;
  /** The signature manifest written. */
  signature: string;
  /** The tag a legacy signature is kept under. */
  tag?: string;
}

async function pushBlob(target: Target, d: Descriptor, bytes: Buffer, o: IoOptions): Promise<void> {
  if (!(await target.exists(d, o))) await target.push(d, Readable.from([bytes]), o);
}

/** Pushes a key-signed DSSE bundle over `statement` as a referrer of `subject` (config, bundle, then the manifest). */
export async function writeBundleReferrer(
  target: Target,
  subject: Descriptor,
  statement: Buffer,
  predicateType: string,
  key: SigningKey,
  o: IoOptions & { created?: string | undefined },
): Promise<Descriptor> {
  const bundle = buildKeyDsseBundle(statement, MediaType.inTotoPayload, key);
  const r = bundleReferrer(
    subject,
    bundle,
    predicateType,
    o.created ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  );
  await pushBlob(target, r.config.descriptor, r.config.bytes, o);
  await pushBlob(target, r.layer.descriptor, r.layer.bytes, o);
  await target.push(r.manifest.descriptor, Readable.from([r.manifest.bytes]), o);
  return r.manifest.descriptor;
}

async function signBundle(
  target: Target,
  subject: Descriptor,
  key: SigningKey,
  opts: SignOptions,
): Promise<SignResult> {
  const statement = signStatement(subject.digest, opts.annotations);
  const m = await writeBundleReferrer(target, subject, statement, COSIGN_SIGN_PREDICATE, key, opts);
  return { digest: subject.digest, format: 'bundle', signature: m.digest };
}

/**
 * Adds `layer` (its blob `bytes`) to the legacy image under `ref` (read-modify-write, as cosign does) and tags it:
 * `.sig` simple-signing layers, or `.att` DSSE layers (`mediaType`).
 */
export async function writeLegacyLayer(
  target: Target,
  subject: Descriptor,
  layer: LegacyLayer,
  bytes: Buffer,
  ref: string,
  o: IoOptions,
): Promise<Descriptor> {
  const existing = (await findSignatures(target, subject, [ref], o, layer.payload.mediaType)).legacy
    .filter((c) => c.foundAs === ref)
    .flatMap((c) => c.layers);
  const image = legacyImage(existing, layer);
  await pushBlob(target, layer.payload, bytes, o);
  await pushBlob(target, image.config.descriptor, image.config.bytes, o);
  await target.push(image.manifest.descriptor, Readable.from([image.manifest.bytes]), o);
  await target.tag(image.manifest.descriptor, ref, o);
  return image.manifest.descriptor;
}

async function signLegacy(
  target: Target,
  subject: Descriptor,
  key: SigningKey,
  opts: SignOptions,
): Promise<SignResult> {
  const payload = simpleSigningPayload(opts.dockerReference, subject.digest, opts.annotations);
  const layer: LegacyLayer = {
    payload: descriptorOf(MediaType.cosignSimpleSigning, payload),
    signature: signData(key, payload).toString('base64'),
  };
  const ref = opts.legacyTagRef(subject);
  const m = await writeLegacyLayer(target, subject, layer, payload, ref, opts);
  return { digest: subject.digest, format: 'legacy', signature: m.digest, tag: ref };
}

/** The manifests a signature of `root` covers: the root, and with `recursive` every manifest an index lists. */
async function signedDigests(
  target: Target,
  root: Descriptor,
  recursive: boolean,
  o: IoOptions,
): Promise<Descriptor[]> {
  const out: Descriptor[] = [root];
  if (!recursive) return out;
  for (let i = 0; i < out.length; i++) {
    const d = out[i] as Descriptor;
    const { node } = await readNode(target, d, o);
    if (node.kind === 'index')
      for (const m of node.index.manifests) if (!out.some((x) => x.digest === m.digest)) out.push(m);
  }
  return out;
}

/** Signs the manifest (or index) `root` in `target` with `key`, as cosign does; signatures go into `target` too. */
export async function signArtifact(
  target: Target,
  root: Descriptor,
  key: SigningKey,
  opts: SignOptions,
): Promise<SignResult[]> {
  const results: SignResult[] = [];
  for (const d of await signedDigests(target, root, opts.recursive ?? true, opts)) {
    results.push(opts.legacy ? await signLegacy(target, d, key, opts) : await signBundle(target, d, key, opts));
  }
  return results;
}
