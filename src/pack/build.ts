import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BufferBody } from '../content/buffer-body.js';
import { ScrydonError } from '../errors.js';
import type { IoOptions, Pusher, ReadOnlyStorage, Tagger } from '../content/target.js';
import { fsyncDir, tempPathFor } from '../fs/atomic-write.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { ImageManifest } from '../oci/manifest.js';
import { encodeJson } from '../oci/manifest.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { versionToTag } from '../oci/reference.js';
import { withLeasedStore } from '../store/leased-store.js';
import { Store } from '../store/store-target.js';
import { formatProblem } from '../config/locate.js';
import { loadPackDir, PACK_JSON } from './pack-dir.js';
import { PACK_MAX_BYTES_DEFAULT, type PackJson } from './pack-json.js';
import { packTarGzBytes, writePackTarGz } from './pack-writer.js';
import { packInvalid } from './validate.js';

/**
 * `scrydon build` as a library: validate a pack directory, pack it deterministically into a
 * .scrydon-pack.tar.gz (buildPackFile), and store it as an OCI artifact (storePack). Reconcile packs
 * git-tar sources with the same two calls, so a git source's pack is byte-identical to a local build.
 */
interface BuildOptions {
  /** SOURCE_DATE_EPOCH (seconds): every tar mtime, and the manifest's `created`. Unset: mtimes 0, no `created`. */
  sourceDateEpoch?: number | undefined;
  /** Largest packed (compressed) size; default 50 MiB. */
  maxBytes?: number | undefined;
  /**
   * Write the pack here (atomically). Otherwise it is built in memory when its files come to IN_MEMORY_BYTES or less,
   * else into a temp file in `tmpDir` that the caller removes.
   */
  out?: string | undefined;
  tmpDir?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A pack whose files come to this many bytes or fewer is built in memory when no `out` is asked for. */
const IN_MEMORY_BYTES = 1 << 20;

export interface BuiltPack {
  /** The .scrydon-pack.tar.gz on disk; none when it was built in memory (`bytes`). */
  path?: string;
  /** Whether `path` is a temp file the caller should remove once stored. */
  temporary: boolean;
  /** The .scrydon-pack.tar.gz when it was built in memory (a small pack stored at once: no file to write and read). */
  bytes?: Buffer;
  /** The layer: media type, digest, size, and its title annotation. */
  descriptor: Descriptor;
  packJson: PackJson;
  /** pack.json exactly as packed: the manifest's config blob. */
  packJsonBytes: Buffer;
  sourceDateEpoch: number | undefined;
  /** Files and directories packed. */
  entryCount: number;
}

export async function buildPackFile(dir: string, o: BuildOptions = {}): Promise<BuiltPack> {
  const pd = await loadPackDir(dir, { signal: o.signal });
  const first = pd.unsafe[0];
  if (first) {
    const more = pd.unsafe.length > 1 ? ` (and ${pd.unsafe.length - 1} more)` : '';
    throw new ScrydonError('unsafe_entry', `${join(dir, first.path)} ${first.reason}${more}`, {
      hint: 'packs hold only regular files and directories inside the pack; remove it or list it in .scrydonignore',
    });
  }
  if (pd.problems.length > 0 || !pd.packJson || !pd.packJsonBytes) throw packInvalid(pd.packJsonFile, pd.problems);
  const big = pd.oversize[0];
  if (big) {
    throw new ScrydonError('size_limit_exceeded', `${pd.packJsonFile}: ${formatProblem(big)}`, {
      hint: 'integrations over 8 MiB cannot ship in a pack; shrink the bundle',
    });
  }
  const packJson = pd.packJson;
  const writeOptions = {
    mtime: o.sourceDateEpoch ?? 0,
    maxBytes: o.maxBytes ?? PACK_MAX_BYTES_DEFAULT,
    overrides: new Map([[PACK_JSON, pd.packJsonBytes]]),
    what: dir,
    signal: o.signal,
  };
  const built = {
    packJson,
    packJsonBytes: pd.packJsonBytes,
    sourceDateEpoch: o.sourceDateEpoch,
    entryCount: pd.entries.length,
  };
  const layer = (w: { digest: Digest; size: number }): Descriptor => ({
    mediaType: MediaType.packLayer,
    digest: w.digest,
    size: w.size,
    annotations: { [Annotation.title]: packFileName(packJson) },
  });
  if (o.out === undefined && pd.entries.reduce((n, e) => n + e.size, 0) <= IN_MEMORY_BYTES) {
    const w = await packTarGzBytes(pd.entries, writeOptions);
    return { ...built, temporary: false, bytes: w.bytes, descriptor: layer(w) };
  }
  const temporary = o.out === undefined;
  let target: string;
  if (o.out !== undefined) {
    target = o.out;
  } else {
    if (o.tmpDir === undefined) throw new ScrydonError('internal', 'buildPackFile needs out or tmpDir');
    await mkdir(o.tmpDir, { recursive: true });
    target = join(o.tmpDir, `build-${process.pid}-${randomBytes(6).toString('hex')}.scrydon-pack.tar.gz`);
  }
  const tmp = tempPathFor(target);
  const written = await writePackTarGz(pd.entries, tmp, { ...writeOptions, durable: !temporary });
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (!temporary) await fsyncDir(dirname(target));
  return { ...built, path: target, temporary, descriptor: layer(written) };
}

/** `acme.fraud-1.2.0.scrydon-pack.tar.gz` */
function packFileName(p: PackJson): string {
  return `${p.package.id}-${p.package.version}.scrydon-pack.tar.gz`;
}

/** `acme.fraud:1.2.0` (semver build metadata `+` becomes `_`, as OCI tags cannot hold `+`). */
export function defaultPackRef(p: PackJson): string {
  return `${p.package.id}:${versionToTag(p.package.version)}`;
}

interface PackArtifact {
  manifest: ImageManifest;
  manifestBytes: Buffer;
  /** The manifest's descriptor (with artifactType). */
  descriptor: Descriptor;
  config: Descriptor;
}

/** The image manifest of a built pack: a function of the pack's bytes, pack.json and SOURCE_DATE_EPOCH only. */
export function packArtifact(built: BuiltPack): PackArtifact {
  const config = descriptorOf(MediaType.packConfig, built.packJsonBytes);
  const p = built.packJson.package;
  const annotations: Record<string, string> = {
    [Annotation.packId]: p.id,
  };
  if (built.sourceDateEpoch !== undefined) annotations[Annotation.created] = isoSeconds(built.sourceDateEpoch);
  annotations[Annotation.title] = p.name ?? p.id;
  annotations[Annotation.version] = p.version;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.packArtifact,
    config,
    layers: [built.descriptor],
    annotations: sortKeys(annotations),
  };
  const manifestBytes = encodeJson(manifest);
  return {
    manifest,
    manifestBytes,
    config,
    descriptor: descriptorOf(MediaType.ociManifest, manifestBytes, { artifactType: MediaType.packArtifact }),
  };
}

type PackDestination = ReadOnlyStorage & Pusher & Tagger;

/**
 * Pushes config, layer, then manifest (children first), then tags each ref. Returns the manifest's descriptor.
 * Into the store, all under a lease (store/lease.ts): gc keeps what is pushed or found present until it is tagged.
 */
export async function storePack(
  dest: PackDestination,
  built: BuiltPack,
  refs: readonly string[],
  o: IoOptions = {},
): Promise<Descriptor> {
  if (dest instanceof Store) return withLeasedStore(dest, (leased) => storePack(leased, built, refs, o));
  const art = packArtifact(built);
  // bytes in memory go as BufferBody: checked with one hash call and written in one, no stream per blob
  const what = `pack ${built.packJson.package.id}`;
  if (!(await dest.exists(art.config, o)))
    await dest.push(art.config, new BufferBody(art.config, what, built.packJsonBytes), o);
  if (!(await dest.exists(built.descriptor, o))) {
    // a read stream allocates its highWaterMark for every read, even of a 2 KB file: reconciling 1,000 small packs
    // made 2 GB of 1 MiB buffers (a 30 MB swing in external memory, and page faults), so it is the file's size
    const highWaterMark = Math.min(1 << 20, Math.max(built.descriptor.size, 1));
    const body = built.bytes
      ? new BufferBody(built.descriptor, what, built.bytes)
      : createReadStream(built.path as string, { highWaterMark });
    await dest.push(built.descriptor, body, o);
  }
  if (!(await dest.exists(art.descriptor, o)))
    await dest.push(art.descriptor, new BufferBody(art.descriptor, what, art.manifestBytes), o);
  for (const ref of refs) await dest.tag(art.descriptor, ref, o);
  return art.descriptor;
}

function isoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sortKeys(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
