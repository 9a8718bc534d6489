import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../fs/live-process.js';

/**
 * Scratch directories in an install root: `.staging-<pid>-<hex>` (a pack being extracted) and `.trash-<pid>-<hex>`
 * (a directory moved aside to be deleted). They carry their maker's pid, so the ones a killed process left are
 * told from the ones a running install is using, and the next install or uninstall into the root removes them.
 */
const LEFTOVER = /^\.(?:staging|trash)-(\d+)-[0-9a-f]+$/;

export function scratchName(root: string, kind: 'staging' | 'trash'): string {
  return join(root, `.${kind}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Removes the scratch directories of processes that no longer run (best effort: a failure leaves them for next time). */
export async function removeDeadScratch(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(LEFTOVER.exec(name)?.[1] ?? 0);
    if (pid === 0 || pid === process.pid || processAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
