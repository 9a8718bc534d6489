import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { namingPath } from './io-error.js';

/** A temp path beside `target` (same directory, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** fsync a directory so a rename inside it is durable. Best effort where the platform refuses (EISDIR/EPERM). */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY);
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

/**
 * Writes `data` to `target` atomically: temp file, fsync, rename, fsync of the directory. A full disk, a
 * read-only file system or a mode that forbids it is an io_error naming `target`; `target` is then unchanged.
 * `durable: false` leaves out both fsyncs, for a file that carries its own checksum and is rebuilt when a crash
 * leaves it torn (the store's derived caches): still never seen half-written while the machine runs.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode = 0o644,
  o: { durable?: boolean } = {},
): Promise<void> {
  const durable = o.durable ?? true;
  await namingPath(target, async () => {
    const tmp = tempPathFor(target);
    let renamed = false;
    try {
      const fh = await open(tmp, 'wx', mode);
      try {
        await fh.writeFile(data);
        if (durable) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
      renamed = true;
      if (durable) await fsyncDir(dirname(target));
    } finally {
      if (!renamed) await rm(tmp, { force: true });
    }
  });
}
