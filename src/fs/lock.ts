import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ScrydonError } from '../errors.js';

/** proper-lockfile (~50 KB with graceful-fs and signal-exit), loaded by the first lock a run takes. */
export async function lockfileLib(): Promise<typeof import('proper-lockfile')> {
  return (await import('proper-lockfile')).default;
}

/** In-process queue per path: proper-lockfile refuses a second lock from the same process. */
const inProcess = new Map<string, Promise<unknown>>();

async function withMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = inProcess.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  inProcess.set(key, tail);
  try {
    return await run;
  } finally {
    if (inProcess.get(key) === tail) inProcess.delete(key);
  }
}

/**
 * Runs `fn` holding a cross-process lock on `path` (a `path.lock` directory, proper-lockfile's scheme).
 * Held for milliseconds around read-modify-write of small files; never across network I/O.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  return withMutex(path, async () => {
    await mkdir(dirname(path), { recursive: true });
    let release: () => Promise<void>;
    try {
      const lockfile = await lockfileLib();
      release = await lockfile.lock(path, {
        realpath: false,
        stale: 15_000,
        update: 5_000,
        retries: { retries: 400, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
        onCompromised: () => undefined,
      });
    } catch (e) {
      throw new ScrydonError('lock_timeout', `could not lock ${path}: ${(e as Error).message}`, {
        cause: e,
        hint: 'another scrydon process holds the lock; retry, or remove a stale lock directory left by a crashed process',
      });
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  });
}
