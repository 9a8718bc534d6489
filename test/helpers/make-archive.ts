import { createHash, randomBytes } from 'node:crypto';

/**
 * Builds tar archives byte by byte for load tests, hostile ones included. Independent of src/archive on
 * purpose (its own header writer), so a bug in scrydon's tar code cannot hide in the tests.
 */
export interface RawEntry {
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO. */
  type?: string;
  data?: Buffer;
  linkname?: string;
}

function octal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

/** One raw ustar header: the name is written as given (no checks), so `../x` and `/etc/x` can be made. */
function rawHeader(name: string, size: number, type = '0', linkname = ''): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, type === '5' ? 0o755 : 0o644);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, 0);
  b.write(type, 156, 1, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'latin1');
  if (type === '3' || type === '4') {
    octal(b, 329, 8, 1);
    octal(b, 337, 8, 3);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** A whole tar: entries, each padded to 512 bytes, then (unless `end` is false) two zero blocks. */
export function tarBytes(entries: readonly RawEntry[], o: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(rawHeader(e.name, data.byteLength, e.type ?? '0', e.linkname ?? ''));
    parts.push(data, Buffer.alloc((512 - (data.byteLength % 512)) % 512));
  }
  if (o.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

interface Blob {
  digest: string;
  data: Buffer;
}

interface TestArtifact {
  config: Blob;
  layer: Blob;
  manifest: Blob & { mediaType: string; size: number };
  ref: string;
}

function blobOf(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, data };
}

/** A small pack-shaped artifact in memory; `padManifestTo` inflates the manifest (oversized-manifest tests). */
export function testArtifact(
  ref = 'acme.hostile:1.0.0',
  o: { layerBytes?: Buffer; padManifestTo?: number } = {},
): TestArtifact {
  const layer = blobOf(o.layerBytes ?? randomBytes(2000));
  const config = blobOf(Buffer.from(JSON.stringify({ package: { id: 'acme.hostile', version: '1.0.0' } })));
  const body: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.scrydon.pack.v1.tar.gzip',
    config: {
      mediaType: 'application/vnd.scrydon.pack.config.v1+json',
      digest: config.digest,
      size: config.data.byteLength,
    },
    layers: [
      { mediaType: 'application/vnd.scrydon.pack.v1.tar.gzip', digest: layer.digest, size: layer.data.byteLength },
    ],
  };
  if (o.padManifestTo) body.annotations = { padding: 'x'.repeat(o.padManifestTo) };
  const m = blobOf(Buffer.from(JSON.stringify(body)));
  return {
    config,
    layer,
    manifest: { ...m, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: m.data.byteLength },
    ref,
  };
}

export function blobName(digest: string): string {
  return `blobs/sha256/${digest.slice(7)}`;
}

function indexJsonFor(a: TestArtifact): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: a.manifest.mediaType,
          digest: a.manifest.digest,
          size: a.manifest.size,
          annotations: { 'org.opencontainers.image.ref.name': a.ref },
        },
      ],
    }),
  );
}

/** The entries of a valid layout archive for `a`; tests change, drop or add entries to make hostile ones. */
export function layoutEntriesFor(a: TestArtifact): RawEntry[] {
  return [
    { name: 'blobs/', type: '5' },
    { name: 'blobs/sha256/', type: '5' },
    { name: blobName(a.config.digest), data: a.config.data },
    { name: blobName(a.layer.digest), data: a.layer.data },
    { name: blobName(a.manifest.digest), data: a.manifest.data },
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: indexJsonFor(a) },
  ];
}
