import { platform } from 'node:os';

/** coreutils' sync: with `-f FILE` it calls syncfs(2) on the file system holding FILE. */
const SYNC = 'sync';

/**
 * Makes durable everything written so far to the file system holding `dir`, in one step: syncfs(2) (Linux; node
 * has no binding for it, so coreutils' `sync -f` runs it). Once it returns, every file written and closed before
 * the call (and its directory entries) is on stable storage, and the kernel (5.8 or later) has reported any
 * write-back error. A batch of thousands of small files costs one journal commit instead of one fsync each, and
 * their creation never waits on a commit. False when it could not run (no such program, another system, a
 * failure): the caller then syncs each file itself. It also flushes what other programs wrote to the same file
 * system, so it is meant for batches too large for a file-by-file sync to be cheaper.
 */
export async function syncFileSystem(dir: string): Promise<boolean> {
  if (platform() !== 'linux') return false;
  // imported here: the store's modules load with every command, child processes are for large loads only
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(SYNC, ['-f', '--', dir], { timeout: 10 * 60_000 }, (e) => resolve(e === null));
  });
}
