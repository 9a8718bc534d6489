import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IoOptions } from '../content/target.js';

export interface Spooled {
  path: string;
  remove(): Promise<void>;
}

/** Copies a stream (stdin) to a temp file in `dir`, since reading an archive needs random access. */
export async function spoolToFile(body: Readable, dir: string, o: IoOptions = {}): Promise<Spooled> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `load-stdin-${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }), { signal: o.signal });
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, remove };
}
