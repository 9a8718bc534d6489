/**
 * Whether a process with this pid runs on this machine (signal 0 probes without signalling; EPERM means it runs
 * as another user). Temp names that carry their maker's pid are in use while it runs, however old they are.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
