import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IoOptions } from '../content/target.js';

interface Spooled {
  path: string;
  remove(): Promise<void>;
}

const PREFIX = 'load-stdin-';
/** Spool files this old were left by a killed load (a live one is read within moments of being written). */
const STALE_SPOOL_MS = 24 * 60 * 60_000;

/** Copies a stream (stdin) to a temp file in `dir`, since reading an archive needs random access. */
export async function spoolToFile(body: Readable, dir: string, o: IoOptions = {}): Promise<Spooled> {
  await mkdir(dir, { recursive: true });
  await removeStaleSpools(dir);
  const path = join(dir, `${PREFIX}${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }), {
      signal: o.signal,
    });
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, remove };
}

async function removeStaleSpools(dir: string, now = Date.now()): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.startsWith(PREFIX)) continue;
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_SPOOL_MS) await rm(p, { force: true });
  }
}
