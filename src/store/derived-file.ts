import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.js';

/**
 * The derived files beside index.json (node-cache.ts, list-cache.ts): JSON whose first line is the sha256 of the
 * rest. Never the source of truth: a missing, truncated or damaged file, or one whose checksum does not match,
 * reads as undefined (its owner rebuilds it). Written atomically without fsync (a torn file fails its checksum),
 * best effort: a store that cannot be written (read-only home) is simply read again next time.
 */
export async function readDerived(path: string): Promise<unknown> {
  const bytes = await readFile(path).catch(() => undefined);
  if (!bytes || bytes[64] !== 0x0a) return undefined;
  const body = bytes.subarray(65);
  if (bytes.toString('latin1', 0, 64) !== createHash('sha256').update(body).digest('hex')) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function writeDerived(path: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value);
  // the file's bytes made once, the checksum line written in front of the body: no joined copy of a 1.5 MB text
  const file = Buffer.allocUnsafe(65 + Buffer.byteLength(body));
  file.write(body, 65);
  file.write(`${createHash('sha256').update(file.subarray(65)).digest('hex')}\n`, 0, 'latin1');
  // no fsync: a file a crash tears fails its checksum and is rebuilt
  await writeFileAtomic(path, file, 0o644, { durable: false }).catch(() => undefined);
}
