import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../fs/live-process.js';

/**
 * Scratch in an install root: `.staging-<pid>-<hex>` (a pack being extracted), `.trash-<pid>-<hex>` (a directory
 * moved aside to be deleted) and `.installed.json.tmp-<pid>-<hex>` (a state write cut short). They carry their
 * maker's pid, so the ones a killed process left are told from the ones a running install is using, and the next
 * install or uninstall into the root removes them.
 */
const LEFTOVER = /^\.(?:staging-|trash-|installed\.json\.tmp-)(\d+)-[0-9a-f]+$/;

export function scratchName(root: string, kind: 'staging' | 'trash'): string {
  return join(root, `.${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** When each root was last swept: an install root of 1,000 packs is not listed again for each of 1,000 installs. */
const swept = new Map<string, number>();
const SWEEP_EVERY_MS = 60_000;

/**
 * Removes the scratch directories of processes that no longer run (best effort: a failure leaves them for next
 * time). A root swept by this process in the last minute is left alone (a long --watch sweeps again later).
 */
export async function removeDeadScratch(root: string): Promise<void> {
  const now = Date.now();
  const last = swept.get(root);
  if (last !== undefined && now - last < SWEEP_EVERY_MS && now >= last) return;
  swept.set(root, now);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(LEFTOVER.exec(name)?.[1] ?? 0);
    if (pid === 0 || pid === process.pid || processAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
