import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import type { Digest } from '../../src/oci/digest.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { Annotation, MediaType } from '../../src/oci/media-types.js';
import { Store } from '../../src/store/store-target.js';

/**
 * Puts test content into a store through the library (until `scrydon build` can): a pack-shaped artifact
 * whose layer is random bytes of a chosen size, a manifest, a tag; and referrer manifests (signatures).
 */
interface SeedOptions {
  /** Layer sizes in bytes (one layer each); default one 4 KiB layer. */
  layers?: readonly number[];
  /** Reuse these layer files (paths) instead of fresh random ones, for delta tests. */
  layerFiles?: readonly string[];
  /** Extra annotations on the manifest (makes a distinct manifest). */
  annotations?: Record<string, string>;
}

export interface Seeded {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  /** Paths of the layer files written (reusable in `layerFiles`). */
  layerFiles: string[];
}

/** Writes `size` random bytes to `path` in 1 MiB chunks and returns its digest (memory stays flat). */
async function randomFile(path: string, size: number): Promise<Digest> {
  const h = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      const b = randomBytes(Math.min(left, 1 << 20));
      h.update(b);
      left -= b.byteLength;
      yield b;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return `sha256:${h.digest('hex')}`;
}

async function fileDigest(path: string): Promise<Digest> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** Stores a pack-like artifact in `catalog` under `ref`; layer files are made in `work`. */
export async function seedPack(catalog: string, ref: string, work: string, o: SeedOptions = {}): Promise<Seeded> {
  const store = await Store.open(catalog);
  await mkdir(work, { recursive: true });
  const files = [...(o.layerFiles ?? [])];
  for (const size of o.layers ?? (o.layerFiles ? [] : [4096])) {
    const path = join(work, `layer-${randomBytes(6).toString('hex')}.tar.gz`);
    await randomFile(path, size);
    files.push(path);
  }
  const layers: Descriptor[] = [];
  for (const [i, path] of files.entries()) {
    const d: Descriptor = {
      mediaType: MediaType.packLayer,
      digest: await fileDigest(path),
      size: (await stat(path)).size,
      annotations: { [Annotation.title]: `layer-${i}.tar.gz` },
    };
    await store.push(d, createReadStream(path, { highWaterMark: 1 << 20 }));
    layers.push(d);
  }
  const configBytes = encodeJson({ package: { id: ref.split(':')[0], version: ref.split(':')[1] ?? '0.0.0' } });
  const config = descriptorOf(MediaType.packConfig, configBytes);
  await store.push(config, Readable.from([configBytes]));
  const manifestBytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.packArtifact,
    config,
    layers,
    annotations: { [Annotation.title]: ref, ...o.annotations },
  });
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes, { artifactType: MediaType.packArtifact });
  await store.push(manifest, Readable.from([manifestBytes]));
  await store.tag(manifest, ref);
  return { manifest, config, layers, layerFiles: files };
}

/** Pushes a signature-like referrer manifest whose subject is `subject` (untagged, as cosign's OCI 1.1 mode). */
export async function seedReferrer(catalog: string, subject: Descriptor, payload = 'signature'): Promise<Descriptor> {
  const store = await Store.open(catalog);
  const sigBytes = Buffer.from(`${payload}-${randomBytes(8).toString('hex')}`);
  const sig = descriptorOf('application/vnd.dev.sigstore.bundle.v0.3+json', sigBytes);
  await store.push(sig, Readable.from([sigBytes]));
  const empty = descriptorOf(MediaType.ociEmpty, Buffer.from('{}'));
  await store.push(empty, Readable.from([Buffer.from('{}')]));
  const bytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    config: empty,
    layers: [sig],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
  const d = descriptorOf(MediaType.ociManifest, bytes, {
    artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  });
  await store.push(d, Readable.from([bytes]));
  return d;
}
