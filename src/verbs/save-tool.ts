import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { MemoryTarget } from '../content/memory-target.js';
import type { IoOptions, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import { encodeJson } from '../oci/manifest.js';
import { Annotation, EMPTY_JSON, MediaType } from '../oci/media-types.js';
import type { CarriedArtifact } from './save.js';

/**
 * scrydon itself, carried in a `save --with-tool` archive so that the far side, which has only the archive, can
 * take the tool out with tar: an OCI artifact (`artifactType` application/vnd.scrydon.tool.v1, the empty config)
 * whose layers are the tool file (title annotation = its file name) and a SHA256SUMS naming it, tagged
 * `scrydon.tool:<version>-<platform>` in the archive (the saving store gains nothing). The archive's index.json
 * names the SHA256SUMS blob (io.scrydon.tool.sha256sums); each line of it is `<hex>  <name>`, and `<hex>` is also
 * the tool's blob name, so `tar -xOf` needs nothing else. The file is streamed (hashed once, then copied),
 * never held in memory.
 */
export const TOOL_REPOSITORY = 'scrydon.tool';
export const CHECKSUMS_FILE = 'SHA256SUMS';

export interface ToolFile {
  /** The file name it is extracted under: `scrydon-0.4.0-linux-x64`, `scrydon-0.4.0.tgz`. */
  name: string;
  version: string;
  /** `linux-x64` and the like for an executable; `npm` for an npm package tarball (runs where Node does). */
  platform: string;
  path: string;
}

export interface ToolArtifact extends CarriedArtifact {
  tool: ToolFile;
  /** The tool file's layer and the SHA256SUMS layer. */
  file: Descriptor;
  checksums: Descriptor;
}

export const NPM_PLATFORM = 'npm';

/** The tool file as a carried artifact: hashed here (streamed), read again when the archive is written. */
export async function toolArtifact(t: ToolFile, o: IoOptions = {}): Promise<ToolArtifact> {
  if (!/^[A-Za-z0-9._+-]{1,100}$/.test(t.name))
    throw new ScrydonError('usage', `tool file name "${t.name}" is not a plain file name`);
  const { digest, size } = await digestOfFile(t.path, o.signal);
  const file: Descriptor = {
    mediaType: t.platform === NPM_PLATFORM ? MediaType.toolNpmPackage : MediaType.toolExecutable,
    digest,
    size,
    annotations: { [Annotation.title]: t.name },
  };
  const sums = Buffer.from(`${digest.slice('sha256:'.length)}  ${t.name}\n`);
  const checksums = descriptorOf(MediaType.toolChecksums, sums, {
    annotations: { [Annotation.title]: CHECKSUMS_FILE },
  });
  const config = descriptorOf(MediaType.ociEmpty, EMPTY_JSON);
  const manifestBytes = encodeJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.toolArtifact,
    config,
    layers: [file, checksums],
    annotations: {
      [Annotation.title]: 'scrydon',
      [Annotation.version]: t.version,
      [Annotation.toolPlatform]: t.platform,
    },
  });
  const manifest = descriptorOf(MediaType.ociManifest, manifestBytes, { artifactType: MediaType.toolArtifact });
  const blobs = new Map<string, Buffer | (() => Readable)>([
    [config.digest, EMPTY_JSON],
    [digest, () => createReadStream(t.path, { highWaterMark: 1 << 20 })],
    [checksums.digest, sums],
    [manifest.digest, manifestBytes],
  ]);
  // tags cannot hold '+' (semver build metadata): '_' as store tags have it
  const ref = `${TOOL_REPOSITORY}:${`${t.version}-${t.platform}`.replaceAll('+', '_')}`;
  return {
    ref,
    manifest,
    blobs,
    tool: t,
    file,
    checksums,
    indexAnnotations: { [Annotation.toolChecksums]: checksums.digest },
  };
}

/**
 * Signs the tool artifact: `sign` (signArtifact with a key) writes its signatures into a target in memory, which
 * then holds the artifact's referrers for the archive; the tool's own blobs are not needed for that.
 */
export async function signedTool(
  a: ToolArtifact,
  sign: (target: Target, subject: Descriptor) => Promise<unknown>,
): Promise<ToolArtifact & { referrers: MemoryTarget }> {
  const referrers = new MemoryTarget({ name: `the signatures of ${a.ref}` });
  await sign(referrers, a.manifest);
  return { ...a, referrers };
}

async function digestOfFile(path: string, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new ScrydonError('not_found', `tool file ${path} does not exist`);
    throw e;
  });
  if (!st.isFile()) throw new ScrydonError('usage', `tool file ${path} is not a regular file`);
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { digest: `sha256:${h.digest('hex')}` as Digest, size };
}
