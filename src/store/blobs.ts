import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDir } from '../fs/atomic-write.js';
import { noteRenameInto } from '../fs/dir-sync.js';
import { syncFileSystem } from '../fs/sync-fs.js';
import { writeAllTo } from '../fs/file-sink.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { Digest } from '../oci/digest.js';
import type { IoOptions } from '../content/target.js';
import { verified } from '../content/verify-stream.js';
import type { LayoutPaths } from './layout.js';

/**
 * Streams `body` into the store: a temp file in ingest/, hashed and counted on the way, fsynced, made
 * read-only and renamed under its digest; the directory's fsync is noted as owed (fs/dir-sync.ts) and paid once
 * before index.json next names anything. A blob is never visible under its digest unless complete and correct; the
 * temp file is removed on any failure. `durable` false (a load's staging
 * layout) leaves the fsyncs to syncBlobs(), once for all, before anything names the blobs.
 */
export async function ingestBlob(
  p: LayoutPaths,
  d: Descriptor,
  body: Readable,
  o: IoOptions = {},
  durable = true,
): Promise<void> {
  const tmp = join(p.ingest, `${d.digest.slice(7, 23)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  let done = false;
  try {
    const fh = await open(tmp, 'wx', 0o644).catch((e: unknown) => {
      body.destroy(); // the source is not left open
      throw e;
    });
    try {
      await writeAllTo(fh, verified(body, d, `blob ${d.digest}`), o.signal);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o444);
    await rename(tmp, p.blob(d.digest));
    done = true;
    // the directory's fsync is owed, not paid per blob: index.json's writer settles it before anything names the blob
    if (durable) noteRenameInto(p.blobsDir);
  } finally {
    if (!done) await rm(tmp, { force: true });
  }
}

/** The size of the blob file named by `digest`, or undefined when there is none. */
export async function blobSize(p: LayoutPaths, digest: Digest): Promise<number | undefined> {
  try {
    const st = await stat(p.blob(digest));
    return st.isFile() ? st.size : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Present with the declared size. A full rehash is `scrydon check`'s job. */
export async function hasBlob(p: LayoutPaths, d: Descriptor): Promise<boolean> {
  return (await blobSize(p, d.digest)) === d.size;
}

/** Blob files past this many are made durable by one sync of their file system instead of an fsync each. */
const SYNC_FS_FROM = 64;

/**
 * Makes the blob files of `digests` (written with ingestBlob's `durable` false, or by createSmallBlobSync) and their
 * directory entries durable, before anything names them: an fsync each, a few at a time, for a handful; for a batch
 * (a load of thousands of small blobs) one sync of the whole file system (fs/sync-fs.ts: one journal commit instead
 * of one per blob), or the fsync each when that cannot run.
 */
export async function syncBlobs(p: LayoutPaths, digests: readonly Digest[]): Promise<void> {
  if (digests.length >= SYNC_FS_FROM && (await syncFileSystem(p.blobsDir))) return;
  await inParallel(digests, async (digest) => {
    const fh = await open(p.blob(digest), 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
  if (digests.length > 0) await fsyncDir(p.blobsDir);
}

/** Runs `fn` over `items`, eight at a time (file operations that wait on the disk); the first failure is thrown. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(8, items.length) }, worker));
}
