import { createWriteStream, writeFileSync } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Pusher, ReadOnlyStorage, Tagger } from '../../src/content/target.js';
import { join } from 'node:path';
import { descriptorOf, plainDescriptor, type Descriptor } from '../../src/oci/descriptor.js';
import { Annotation, MediaType } from '../../src/oci/media-types.js';
import { buildPackFile, packArtifact, storePack } from '../../src/pack/build.js';
import { loadPackDir } from '../../src/pack/pack-dir.js';
import type { PackJson } from '../../src/pack/pack-json.js';
import type { PackEntry } from '../../src/pack/walk.js';
import { updateIndex } from '../../src/store/index-file.js';
import { Store } from '../../src/store/store-target.js';

/** The files of the small pack `id` `version`: what writeSmallPackDir writes (and smallPackBlobs packs). */
function smallPackFiles(id: string, version: string): Map<string, Buffer> {
  const packJson = {
    schemaVersion: 1,
    package: { id, version, name: `Pack ${id}` },
    contents: [{ kind: 'ontology', path: 'ontology' }],
    installOrder: ['ontology'],
  };
  return new Map([
    ['pack.json', Buffer.from(JSON.stringify(packJson, null, 2))],
    ['ontology/entities.json', Buffer.from(JSON.stringify({ entities: [`${id}.Thing`], version }))],
  ]);
}

/**
 * Writes a small pack directory (pack.json and one ontology file, ~1 KiB packed) that `scrydon build` accepts:
 * what the scale test and the scale benchmark fill stores with.
 */
export async function writeSmallPackDir(dir: string, id: string, version: string): Promise<void> {
  await mkdir(join(dir, 'ontology'), { recursive: true });
  for (const [path, bytes] of smallPackFiles(id, version)) await writeFile(join(dir, path), bytes);
}

/** The i-th small pack's id and tag: bench.p00042, bench.p00042:1.0.0. */
export const packId = (i: number): string => `bench.p${String(i).padStart(5, '0')}`;
export const packRef = (i: number): string => `${packId(i)}:1.0.0`;

/**
 * Blobs written into the layout as plain files, without fsync or temp-file renames: a seeded store is test setup,
 * thrown away with the test, and 10,000 packs' fsyncs are most of the seeding time on a loaded machine.
 */
function plainBlobs(blobs: string): ReadOnlyStorage & Pusher & Tagger {
  const file = (d: Descriptor) => join(blobs, d.digest.slice('sha256:'.length));
  return {
    exists: (d) =>
      access(file(d)).then(
        () => true,
        () => false,
      ),
    push: (d, body) => pipeline(body, createWriteStream(file(d))),
    fetch: () => Promise.reject(new Error('plainBlobs only writes')),
    tag: () => Promise.resolve(),
  };
}

interface SmallPackBlobs {
  manifest: Descriptor;
  /** config, layer, manifest: digest and bytes. */
  blobs: Array<{ digest: string; bytes: Buffer }>;
}

/**
 * The small pack `i` as `buildPackFile` + `storePack` make it, built in memory: the entries of a walked small pack
 * directory (`template`: the same paths, types and modes for every i) with pack i's files, tar-stream's headers as
 * pack-writer.ts writes them (owners 0/0 with empty names, mtime SOURCE_DATE_EPOCH), gzip level 6 with OS byte 3,
 * and `packArtifact`'s manifest. No directory, temp file, stream or fsync per pack: building each of 10,000 packs
 * through the library was most of a scale test's time. seedSmallPacks checks it against the library for its first pack.
 */
async function smallPackBlobs(template: readonly PackEntry[], i: number, epoch: number): Promise<SmallPackBlobs> {
  const files = smallPackFiles(packId(i), '1.0.0');
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const mtime = new Date(epoch * 1000);
  for (const e of template) {
    const base = { mode: e.mode, uid: 0, gid: 0, uname: '', gname: '', mtime };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'directory') pack.entry({ ...base, name: `${e.path}/`, type: 'directory' }, cb);
      else {
        const body = files.get(e.path);
        if (body === undefined) throw new Error(`small pack template: no file ${e.path}`);
        pack.entry({ ...base, name: e.path, type: 'file', size: body.byteLength }, body, cb);
      }
    });
  }
  pack.finalize();
  await collected;
  const layer = gzipSync(Buffer.concat(chunks), { level: 6 });
  layer[9] = 3; // the OS byte pack-writer.ts writes on every platform
  const packJsonBytes = files.get('pack.json') as Buffer;
  const packJson = JSON.parse(packJsonBytes.toString('utf8')) as PackJson;
  const art = packArtifact({
    path: '',
    temporary: true,
    descriptor: descriptorOf(MediaType.packLayer, layer, {
      annotations: { [Annotation.title]: `${packJson.package.id}-${packJson.package.version}.scrydon-pack.tar.gz` },
    }),
    packJson,
    packJsonBytes,
    sourceDateEpoch: epoch,
    entryCount: template.length,
  });
  return {
    manifest: art.descriptor,
    blobs: [
      { digest: art.config.digest, bytes: packJsonBytes },
      { digest: descriptorOf(MediaType.packLayer, layer).digest, bytes: layer },
      { digest: art.descriptor.digest, bytes: art.manifestBytes },
    ],
  };
}

/**
 * Grows the store at `catalog` by small packs `from`..`to`-1 (created at 1700000000 + i), tagging them all in one
 * index update: 10,000 `scrydon build` processes would take many minutes. The first is built and stored through the
 * library (`buildPackFile`, `storePack`); the others are made in memory by smallPackBlobs, whose bytes for that first
 * pack must equal the library's (or seeding fails), and written as the store's blob files: read-only, as the store
 * makes them (without its fsync and temp-file rename, which nothing reading the store can see), or with
 * `durable: false` plain files (plainBlobs).
 */
export async function seedSmallPacks(
  catalog: string,
  work: string,
  from: number,
  to: number,
  o: { durable?: boolean } = {},
): Promise<void> {
  const store = await Store.open(catalog);
  if (to <= from) return;
  const blobsDir = join(catalog, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  const dest = o.durable === false ? plainBlobs(blobsDir) : store;
  const dir = join(work, 'first');
  await writeSmallPackDir(dir, packId(from), '1.0.0');
  const built = await buildPackFile(dir, { tmpDir: join(work, 'tmp'), sourceDateEpoch: 1700000000 + from });
  const tags: Array<{ ref: string; descriptor: Descriptor }> = [
    { ref: packRef(from), descriptor: await storePack(dest, built, []) },
  ];
  const template = (await loadPackDir(dir)).entries;
  const same = await smallPackBlobs(template, from, 1700000000 + from);
  if (same.manifest.digest !== tags[0]?.descriptor.digest)
    throw new Error(
      `small-pack.ts: smallPackBlobs made ${same.manifest.digest} where buildPackFile + storePack made ` +
        `${tags[0]?.descriptor.digest} for ${packRef(from)}: make it pack what the library packs again`,
    );
  const mode = o.durable === false ? 0o644 : 0o444;
  for (let i = from + 1; i < to; i++) {
    const p = await smallPackBlobs(template, i, 1700000000 + i);
    for (const b of p.blobs) {
      try {
        writeFileSync(join(blobsDir, b.digest.slice('sha256:'.length)), b.bytes, { flag: 'wx', mode });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // present already: the same bytes
      }
    }
    tags.push({ ref: packRef(i), descriptor: p.manifest });
  }
  await updateIndex(store.paths, (idx) => ({
    index: {
      ...idx,
      manifests: [
        ...idx.manifests,
        ...tags.map((t) => ({ ...plainDescriptor(t.descriptor), annotations: { [Annotation.refName]: t.ref } })),
      ],
    },
    result: undefined,
  }));
  await rm(work, { recursive: true, force: true });
}
