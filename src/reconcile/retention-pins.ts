import { readdir } from 'node:fs/promises';
import type { HomePaths } from '../config/paths.js';
import { listInstalled } from '../install/uninstall.js';
import { readLockFile } from './lock-file.js';

const LOCK_SUFFIX = '.lock.json';

/**
 * What `gc --keep-versions` must keep whatever its age, by manifest digest, with the reasons: every installed pack
 * (active, awaiting review: `approve` reads it from the store, or retired), and every digest a source's lock
 * (`state/<source>.lock.json`, of a registered source or not) pins, so `reconcile --locked` still installs offline.
 * A lock that cannot be read stops gc (state_invalid) rather than being taken as pinning nothing.
 */
export async function retentionPins(paths: HomePaths, installRoot: string): Promise<Map<string, string[]>> {
  const pins = new Map<string, string[]>();
  const pin = (digest: string, why: string) => {
    const reasons = pins.get(digest) ?? [];
    if (!reasons.includes(why)) reasons.push(why);
    pins.set(digest, reasons);
  };
  for (const r of await listInstalled(installRoot))
    pin(r.digest, r.status === 'active' ? 'installed' : `installed (${r.status})`);
  const names = await readdir(paths.state).catch((e: NodeJS.ErrnoException) =>
    e.code === 'ENOENT' ? ([] as string[]) : Promise.reject(e),
  );
  for (const name of names.filter((n) => n.endsWith(LOCK_SUFFIX)).sort()) {
    const source = name.slice(0, -LOCK_SUFFIX.length);
    const lock = await readLockFile(paths, source);
    for (const p of lock?.packs ?? []) pin(p.digest, `locked by source ${source}`);
  }
  return pins;
}
