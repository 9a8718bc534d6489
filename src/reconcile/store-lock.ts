import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import { sleep } from '../sleep.js';

/**
 * One reconcile per store at a time: a lock (`$SCRYDON_HOME/state/reconcile.lock`) held for a whole run and
 * refreshed while it lasts, so a crashed holder's lock goes stale. A second reconcile waits its turn, or with
 * `--no-wait` fails at once with reconcile_busy.
 */
const STALE_MS = 30_000;
const UPDATE_MS = 10_000;
const POLL_MS = 250;

interface ReconcileLockOptions {
  wait: boolean;
  signal?: AbortSignal | undefined;
  /** Called once when the lock is taken by someone else and we wait. */
  onWait?: () => void;
}

export async function acquireReconcileLock(paths: HomePaths, o: ReconcileLockOptions): Promise<() => Promise<void>> {
  await mkdir(paths.state, { recursive: true });
  const target = join(paths.state, 'reconcile');
  let told = false;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      const release = await lockfile.lock(target, {
        realpath: false,
        stale: STALE_MS,
        update: UPDATE_MS,
        onCompromised: () => undefined,
      });
      return async () => {
        await release().catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      if (!o.wait) {
        throw new ScrydonError('reconcile_busy', `another reconcile is running on ${paths.home}`, {
          hint: 'wait for it (drop --no-wait to queue behind it)',
        });
      }
      if (!told) {
        told = true;
        o.onWait?.();
      }
      await sleep(POLL_MS, o.signal);
    }
  }
}
