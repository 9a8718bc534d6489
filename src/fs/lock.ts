import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScrydonError } from '../errors.js';
import { refusalError } from './io-error.js';

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

/** Waits between tries for a lock another process holds: 5 ms growing by 1.2× to 100 ms, each times 1–2 at random. */
const WAITS = { tries: 400, factor: 1.2, minMs: 5, maxMs: 100 };

/**
 * Takes proper-lockfile's lock on `path`, trying again only while another process holds it (ELOCKED):
 * proper-lockfile's own retries would also retry a read-only file system or a forbidden directory for ~40 s.
 */
async function lockRetrying(path: string): Promise<() => Promise<void>> {
  const lockfile = await lockfileLib();
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(path, {
        realpath: false,
        stale: 15_000,
        update: 5_000,
        onCompromised: () => undefined,
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || attempt >= WAITS.tries) throw e;
      await sleep(Math.min(WAITS.maxMs, WAITS.minMs * WAITS.factor ** attempt) * (1 + Math.random()));
    }
  }
}

/**
 * Runs `fn` holding a cross-process lock on `path` (a `path.lock` directory, proper-lockfile's scheme).
 * Held for milliseconds around read-modify-write of small files; never across network I/O.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  return withMutex(path, async () => {
    let release: () => Promise<void>;
    try {
      // the directory is made when the lock finds none (a fresh home), not looked for on each of a run's thousands
      release = await lockRetrying(path).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
        await mkdir(dirname(path), { recursive: true });
        return lockRetrying(path);
      });
    } catch (e) {
      // a read-only or full file system, or a mode that forbids the lock directory, is no other process's doing
      const refused = refusalError(e, { path, step: 'lock' });
      if (refused !== e) throw refused;
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
