import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar, { type Header, type Pack } from 'tar-stream';
import { descriptorOf, type Descriptor } from '../../src/oci/descriptor.js';
import type { Digest } from '../../src/oci/digest.js';
import { encodeJson } from '../../src/oci/manifest.js';
import { Annotation, EMPTY_JSON, MediaType } from '../../src/oci/media-types.js';
import { Store } from '../../src/store/store-target.js';
import { tempDir } from './cli.js';

/**
 * Writes packs straight into a store with the library, bypassing `scrydon build`: that is how tests make
 * packs in both shapes (scrydon's config = pack.json, and `oras push`'s empty config) and HOSTILE packs
 * that build would refuse (traversal, links, devices, duplicates, bombs, truncated gzip).
 */

export interface TarEntrySpec {
  name: string;
  type?: Header['type'];
  body?: string | Buffer;
  /** Stream this many zero bytes as the body (large on disk once extracted, tiny once gzipped). */
  zeros?: number;
  linkname?: string;
  mode?: number;
}

interface SamplePackOptions {
  id?: string;
  version?: string;
  /** Extra bytes in the integration bundle, to make versions differ. */
  salt?: string;
}

/** A realistic pack.json plus its files: an ontology directory and an integration bundle, installed integration-first. */
export function samplePack(o: SamplePackOptions = {}): {
  packJson: Record<string, unknown>;
  files: Record<string, string | Buffer>;
} {
  const id = o.id ?? 'acme.fraud';
  const version = o.version ?? '1.0.0';
  const packJson = {
    schemaVersion: 1,
    package: { id, version, name: 'Fraud detection', description: 'Rules and an integration for card fraud' },
    contents: [
      { kind: 'ontology', path: 'ontology' },
      { kind: 'integration', path: 'integration/bundle.tar.gz' },
    ],
    installOrder: ['integration', 'ontology'],
  };
  return {
    packJson,
    files: {
      'ontology/manifest.json': JSON.stringify({ classes: ['Card', 'Merchant', 'Transaction'], version }),
      'ontology/classes/transaction.yaml': `name: Transaction\nfields: [amount, currency, merchant]\n# ${o.salt ?? ''}\n`,
      'integration/bundle.tar.gz': Buffer.from(`not really a bundle ${version} ${o.salt ?? ''}`),
    },
  };
}

/** pack.json first, then the files (with their parent directories), as `scrydon build` lays a pack out. */
export function packEntries(packJson: unknown, files: Record<string, string | Buffer>, prefix = ''): TarEntrySpec[] {
  const out: TarEntrySpec[] = [{ name: `${prefix}pack.json`, body: JSON.stringify(packJson, null, 2) }];
  const dirs = new Set<string>();
  for (const name of Object.keys(files).sort()) {
    const segs = name.split('/');
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        out.push({ name: `${prefix}${d}/`, type: 'directory' });
      }
    }
    out.push({ name: `${prefix}${name}`, body: files[name] as string | Buffer });
  }
  return out;
}

async function addEntry(p: Pack, e: TarEntrySpec): Promise<void> {
  const type = e.type ?? 'file';
  const header: Partial<Header> & { name: string } = {
    name: e.name,
    type,
    mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
    mtime: new Date(0),
    uid: 0,
    gid: 0,
  };
  if (e.linkname !== undefined) header.linkname = e.linkname;
  if (type === 'character-device' || type === 'block-device') Object.assign(header, { devmajor: 1, devminor: 3 });
  if (e.zeros !== undefined) {
    header.size = e.zeros;
    await new Promise<void>((resolve, reject) => {
      const s = p.entry(header, (err) => (err ? reject(err) : resolve()));
      const chunk = Buffer.alloc(1 << 20);
      let left = e.zeros as number;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.byteLength);
          left -= n;
          if (!s.write(n === chunk.byteLength ? chunk : chunk.subarray(0, n))) {
            s.once('drain', pump);
            return;
          }
        }
        (s as unknown as { end(): void }).end();
      };
      pump();
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (type === 'file') p.entry(header, Buffer.from(e.body ?? ''), cb);
    else p.entry(header, cb);
  });
}

/** The plain (uncompressed) tar of small `entries`, in memory: for archives cut short inside a valid gzip. */
export async function tarBytes(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const e of entries) await addEntry(p, e);
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Writes a tar.gz of `entries` to `file` (streaming: a GiB of zeros costs no memory). */
async function writeTarGz(entries: readonly TarEntrySpec[], file: string): Promise<void> {
  const p = tar.pack();
  const done = pipeline(p, createGzip({ level: 1 }), createWriteStream(file));
  for (const e of entries) await addEntry(p, e);
  p.finalize();
  await done;
}

async function fileDescriptor(
  file: string,
  mediaType: string,
  annotations?: Record<string, string>,
): Promise<Descriptor> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(file)) {
    h.update(c as Buffer);
    size += (c as Buffer).byteLength;
  }
  const d: Descriptor = { mediaType, digest: `sha256:${h.digest('hex')}` as Digest, size };
  if (annotations) d.annotations = annotations;
  return d;
}

export interface StorePackOptions {
  /** `scrydon`: config = pack.json; `oras`: empty config, pack.json only in the layer. */
  shape: 'scrydon' | 'oras';
  /** The config's pack.json (scrydon shape): an object, or raw text for broken JSON. */
  packJson?: unknown;
  entries: readonly TarEntrySpec[];
  tag: string;
  /** Cut this many bytes off the end of the gzip layer (a truncated archive whose digest still matches). */
  cutLayerBytes?: number;
  /** Replace the layer with these raw bytes (not gzip at all, say). */
  rawLayer?: Buffer;
  annotations?: Record<string, string>;
}

export interface StoredPack {
  digest: string;
  manifest: Descriptor;
  layer: Descriptor;
}

/** Builds the layer, config and manifest of a pack and stores them in `$home/catalog`, tagged `tag`. */
export async function storePack(home: string, o: StorePackOptions): Promise<StoredPack> {
  const store = await Store.open(join(home, 'catalog'));
  const layerFile = join(await tempDir('scrydon-layer-'), 'pack.tar.gz');
  if (o.rawLayer) await writeFile(layerFile, o.rawLayer);
  else await writeTarGz(o.entries, layerFile);
  if (o.cutLayerBytes !== undefined)
    await truncate(layerFile, Math.max(0, (await stat(layerFile)).size - o.cutLayerBytes));
  const layer = await fileDescriptor(layerFile, MediaType.packLayer, { [Annotation.title]: 'pack.tar.gz' });
  await store.push(layer, createReadStream(layerFile));

  let config: Descriptor;
  if (o.shape === 'scrydon') {
    const bytes = Buffer.from(typeof o.packJson === 'string' ? o.packJson : JSON.stringify(o.packJson));
    config = descriptorOf(MediaType.packConfig, bytes);
    await store.push(config, Readable.from([bytes]));
  } else {
    config = descriptorOf(MediaType.ociEmpty, EMPTY_JSON);
    await store.push(config, Readable.from([EMPTY_JSON]));
  }
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.packArtifact,
    config,
    layers: [layer],
    ...(o.annotations ? { annotations: o.annotations } : {}),
  };
  const bytes = encodeJson(manifestJson);
  const manifest = descriptorOf(MediaType.ociManifest, bytes);
  await store.push(manifest, Readable.from([bytes]));
  await store.tag(manifest, o.tag);
  return { digest: manifest.digest, manifest, layer };
}

interface StoreArtifactOptions {
  config: { mediaType: string; bytes: Buffer };
  layers?: ReadonlyArray<{ mediaType: string; bytes: Buffer }>;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  tag?: string;
}

/** Stores any image manifest (a plain image, a signature referring to a pack through `subject`). */
export async function storeArtifact(home: string, o: StoreArtifactOptions): Promise<Descriptor> {
  const store = await Store.open(join(home, 'catalog'));
  const config = descriptorOf(o.config.mediaType, o.config.bytes);
  await store.push(config, Readable.from([o.config.bytes]));
  const layers: Descriptor[] = [];
  for (const l of o.layers ?? []) {
    const d = descriptorOf(l.mediaType, l.bytes);
    await store.push(d, Readable.from([l.bytes]));
    layers.push(d);
  }
  const bytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    ...(o.artifactType ? { artifactType: o.artifactType } : {}),
    config,
    layers,
    ...(o.subject ? { subject: o.subject } : {}),
    ...(o.annotations ? { annotations: o.annotations } : {}),
  });
  const manifest = descriptorOf(MediaType.ociManifest, bytes);
  await store.push(manifest, Readable.from([bytes]));
  if (o.tag) await store.tag(manifest, o.tag);
  return manifest;
}

/** A valid pack in the given shape: the sample files, pack.json in the layer (and in the config for scrydon's shape). */
export async function storeSamplePack(
  home: string,
  shape: 'scrydon' | 'oras',
  o: SamplePackOptions & { tag?: string } = {},
): Promise<StoredPack> {
  const { packJson, files } = samplePack(o);
  const pj = packJson as { package: { id: string; version: string } };
  return storePack(home, {
    shape,
    packJson,
    entries: packEntries(packJson, files, shape === 'oras' ? './' : ''),
    tag: o.tag ?? `${pj.package.id}:${pj.package.version}`,
    // what `oras push` writes on the manifest is only a creation time; scrydon build adds id and version
    annotations:
      shape === 'scrydon'
        ? {
            [Annotation.packId]: pj.package.id,
            [Annotation.version]: pj.package.version,
            [Annotation.title]: pj.package.id,
          }
        : { [Annotation.created]: '2024-05-01T12:00:00Z' },
  });
}
