import { createWriteStream } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Pusher, ReadOnlyStorage, Tagger } from '../../src/content/target.js';
import { join } from 'node:path';
import { plainDescriptor, type Descriptor } from '../../src/oci/descriptor.js';
import { Annotation } from '../../src/oci/media-types.js';
import { buildPackFile, storePack } from '../../src/pack/build.js';
import { updateIndex } from '../../src/store/index-file.js';
import { Store } from '../../src/store/store-target.js';

/**
 * Writes a small pack directory (pack.json and one ontology file, ~1 KiB packed) that `scrydon build` accepts:
 * what the scale test and the scale benchmark fill stores with.
 */
export async function writeSmallPackDir(dir: string, id: string, version: string): Promise<void> {
  await mkdir(join(dir, 'ontology'), { recursive: true });
  const packJson = {
    schemaVersion: 1,
    package: { id, version, name: `Pack ${id}` },
    contents: [{ kind: 'ontology', path: 'ontology' }],
    installOrder: ['ontology'],
  };
  await writeFile(join(dir, 'pack.json'), JSON.stringify(packJson, null, 2));
  await writeFile(join(dir, 'ontology', 'entities.json'), JSON.stringify({ entities: [`${id}.Thing`], version }));
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

/**
 * Grows the store at `catalog` by small packs `from`..`to`-1 through the library (`buildPackFile`, `storePack`,
 * four at a time, created at 1700000000 + i), tagging them all in one index update: 10,000 `scrydon build`
 * processes would take many minutes. `durable: false` writes the blobs as plain files (plainBlobs).
 */
export async function seedSmallPacks(
  catalog: string,
  work: string,
  from: number,
  to: number,
  o: { durable?: boolean } = {},
): Promise<void> {
  const store = await Store.open(catalog);
  const dest = o.durable === false ? plainBlobs(join(catalog, 'blobs', 'sha256')) : store;
  if (o.durable === false) await mkdir(join(catalog, 'blobs', 'sha256'), { recursive: true });
  const tags: Array<{ ref: string; descriptor: Descriptor }> = [];
  let next = from;
  const worker = async (w: number): Promise<void> => {
    // each worker rewrites its own directory: the same files, another id
    const dir = join(work, `w${w}`);
    for (let i = next++; i < to; i = next++) {
      await writeSmallPackDir(dir, packId(i), '1.0.0');
      const built = await buildPackFile(dir, { tmpDir: join(work, 'tmp'), sourceDateEpoch: 1700000000 + i });
      tags.push({ ref: packRef(i), descriptor: await storePack(dest, built, []) });
      await rm(built.path, { force: true });
    }
  };
  await Promise.all(Array.from({ length: 4 }, (_, w) => worker(w)));
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
