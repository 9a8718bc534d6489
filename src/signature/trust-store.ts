import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { TrustSummary } from './sigstore-trust-root.js';
import type { LoadedTrust } from './verify.js';

/** The one trusted root scrydon verifies keyless signatures against: `$SCRYDON_HOME/trust/trusted_root.json`. */
export const TRUSTED_ROOT_FILE = 'trusted_root.json';
const MAX_ROOT_BYTES = 4 * 1024 * 1024;

export interface TrustInfo {
  path: string;
  digest: string;
  /** When the file was imported (its mtime). */
  importedAt: string;
  ageSeconds: number;
  contents: TrustSummary;
}

/** sigstore-js is loaded only when a trusted root is read (~120 ms of start-up for every command otherwise). */
async function parse(
  bytes: Buffer,
  where: string,
): Promise<ReturnType<typeof import('./sigstore-trust-root.js').parseTrustedRoot>> {
  const { parseTrustedRoot } = await import('./sigstore-trust-root.js');
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const roots = jsonLines(text);
    if (roots > 1)
      throw new ScrydonError(
        'trust_invalid',
        `${where} holds ${roots} trusted roots, one per line; scrydon keeps one`,
        {
          cause: e,
          hint: "`gh attestation trusted-root` prints Sigstore's public root and GitHub's: import the line of the instance that signed (GitHub's private repositories: the one naming fulcio.githubapp.com)",
        },
      );
    throw new ScrydonError('trust_invalid', `${where} is not JSON`, { cause: e });
  }
  return parseTrustedRoot(json, where);
}

/** How many lines of `text` are JSON objects (JSON Lines, as `gh attestation trusted-root` prints); 0 if any is not. */
function jsonLines(text: string): number {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  try {
    return lines.every((l) => typeof JSON.parse(l) === 'object') ? lines.length : 0;
  } catch {
    return 0;
  }
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `scrydon trust import FILE`: validates the trusted root, then replaces the current one atomically. */
export async function importTrustRoot(
  trustDir: string,
  bytes: Buffer,
  source: string,
  now = new Date(),
): Promise<TrustInfo> {
  if (bytes.byteLength > MAX_ROOT_BYTES)
    throw new ScrydonError('trust_invalid', `${source} is ${bytes.byteLength} bytes; a trusted root is far smaller`);
  const root = await parse(bytes, source);
  await mkdir(trustDir, { recursive: true });
  const path = join(trustDir, TRUSTED_ROOT_FILE);
  await writeFileAtomic(path, bytes, 0o644);
  return { path, digest: digestOf(bytes), importedAt: now.toISOString(), ageSeconds: 0, contents: root.summary };
}

async function readRoot(trustDir: string): Promise<{ path: string; bytes: Buffer; mtime: Date } | undefined> {
  const path = join(trustDir, TRUSTED_ROOT_FILE);
  try {
    const [bytes, st] = await Promise.all([readFile(path), stat(path)]);
    return { path, bytes, mtime: st.mtime };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ScrydonError('io_error', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The imported trusted root, parsed, or undefined when none was imported. */
export async function loadTrustRoot(trustDir: string): Promise<LoadedTrust | undefined> {
  const r = await readRoot(trustDir);
  return r ? { root: await parse(r.bytes, r.path), digest: digestOf(r.bytes) } : undefined;
}

/** A trusted_root.json named for one command (`verify --trusted-root`): parsed, never imported. */
export async function loadTrustFile(file: string): Promise<LoadedTrust> {
  const bytes = await readFile(file).catch((e: unknown) => {
    throw new ScrydonError('not_found', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  });
  return { root: await parse(bytes, file), digest: digestOf(bytes) };
}

/** `scrydon trust show`: digest, age and what the root holds. */
export async function showTrustRoot(trustDir: string, now = new Date()): Promise<TrustInfo> {
  const r = await readRoot(trustDir);
  if (!r)
    throw new ScrydonError('trust_missing', `no trusted root in ${trustDir}`, {
      hint: 'scrydon trust import trusted_root.json',
    });
  return {
    path: r.path,
    digest: digestOf(r.bytes),
    importedAt: r.mtime.toISOString(),
    ageSeconds: Math.max(0, Math.round((now.getTime() - r.mtime.getTime()) / 1000)),
    contents: (await parse(r.bytes, r.path)).summary,
  };
}
