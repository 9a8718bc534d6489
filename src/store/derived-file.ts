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
  const sum = createHash('sha256').update(body).digest('hex');
  // no fsync: a file a crash tears fails its checksum and is rebuilt
  await writeFileAtomic(path, `${sum}\n${body}`, 0o644, { durable: false }).catch(() => undefined);
}
