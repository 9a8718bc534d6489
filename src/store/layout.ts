import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { digestHex, type Digest } from '../oci/digest.js';

/** Paths of an OCI image layout. `ingest/` holds temp files on the same filesystem (oras-go does the same), `leases/` writers' leases. */
export class LayoutPaths {
  constructor(readonly root: string) {}
  get ociLayout(): string {
    return join(this.root, 'oci-layout');
  }
  get index(): string {
    return join(this.root, 'index.json');
  }
  #blobsDir: string | undefined;
  get blobsDir(): string {
    return (this.#blobsDir ??= join(this.root, 'blobs', 'sha256')); // once: blob() asks for it per blob
  }
  get ingest(): string {
    return join(this.root, 'ingest');
  }
  /** Writers' leases (lease.ts): what gc must keep although no tag reaches it yet. */
  get leases(): string {
    return join(this.root, 'leases');
  }
  blob(d: Digest): string {
    return join(this.blobsDir, digestHex(d));
  }
}

const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';
export const EMPTY_INDEX = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] };

/** Creates the layout's directories and oci-layout file if absent (index.json: see index-file.ts); refuses a directory that has an oci-layout of another version. */
export async function initLayout(p: LayoutPaths): Promise<void> {
  await mkdir(p.blobsDir, { recursive: true });
  await mkdir(p.ingest, { recursive: true });
  await mkdir(p.leases, { recursive: true });
  let existing: string | undefined;
  try {
    existing = await readFile(p.ociLayout, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (existing === undefined) {
    await writeFileAtomic(p.ociLayout, OCI_LAYOUT_CONTENT);
  } else {
    let version: unknown;
    try {
      version = (JSON.parse(existing) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch {
      version = undefined;
    }
    if (version !== '1.0.0') {
      throw new ScrydonError('store_invalid', `${p.ociLayout} is not an OCI image layout 1.0.0`, {
        hint: 'point SCRYDON_HOME (or oci:PATH) at an empty directory or an OCI image layout',
      });
    }
  }
}

const linkRefused = (path: string): ScrydonError =>
  new ScrydonError('store_invalid', `${path} is a symbolic link`, { hint: 'run scrydon check' });
const notFileRefused = (path: string): ScrydonError =>
  new ScrydonError('store_invalid', `${path} is not a regular file`, { hint: 'run scrydon check' });

/**
 * Opens a blob for reading without following links: a symlink or a non-regular file planted under blobs/
 * is refused (go-containerregistry's Lstat guard, done with O_NOFOLLOW and fstat on the open handle).
 */
export async function openBlobFile(path: string): Promise<FileHandle | undefined> {
  return (await openSizedBlobFile(path))?.fh;
}

/** openBlobFile, with the size its fstat found. */
export async function openSizedBlobFile(path: string): Promise<{ fh: FileHandle; size: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw linkRefused(path);
    throw e;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notFileRefused(path);
  }
  return { fh, size: st.size };
}

/** A blob's size without opening it (one lstat), with openBlobFile's refusals; undefined when it is absent. */
export async function blobFileSize(path: string): Promise<number | undefined> {
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return undefined;
  if (st.isSymbolicLink()) throw linkRefused(path);
  if (!st.isFile()) throw notFileRefused(path);
  return st.size;
}
