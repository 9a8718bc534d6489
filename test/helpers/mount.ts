import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real file-system refusals for tests: a small tmpfs that fills up (ENOSPC), a read-only bind mount (EROFS).
 * Mounting needs root (or CAP_SYS_ADMIN); `mountUnavailable()` says why not, for a test's `skip`.
 */
function run(...args: string[]): void {
  const r = spawnSync(args[0] ?? '', args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** Why this process cannot mount (tried once with a 1 MiB tmpfs), or undefined when it can. */
export function mountUnavailable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'scrydon-mount-probe-'));
  try {
    run('mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir);
    run('umount', dir);
    return undefined;
  } catch (e) {
    return `mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): ${(e as Error).message}`;
  } finally {
    rmdirSync(dir);
  }
}

/** Mounts a tmpfs of `sizeMiB` on `dir` (ENOSPC once it is full). */
export function mountTmpfs(dir: string, sizeMiB: number): void {
  run('mount', '-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir);
}

/** Makes `dir` read-only in place: a bind mount of itself, remounted read-only (root's writes get EROFS too). */
export function bindReadOnly(dir: string): void {
  run('mount', '--bind', dir, dir);
  run('mount', '-o', 'remount,bind,ro', dir);
}

/** Unmounts `dir` (lazily if it is busy); never throws, for after() hooks. */
export function unmount(dir: string): void {
  const r = spawnSync('umount', [dir]);
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
}
