import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './cli.js';
import { freePort, waitListening } from './registry.js';

export interface RunningS3 {
  /** `http://127.0.0.1:PORT`, distribution's `regionendpoint`. */
  endpoint: string;
  bucket: string;
  /** s3rver's data directory (one folder per bucket). */
  directory: string;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./s3-server-main.js', import.meta.url));

/** An S3 endpoint on loopback (s3rver in a process of its own, data in a temp dir) with `bucket` created. */
export async function startS3(bucket = 'registry'): Promise<RunningS3> {
  const directory = join(await tempDir('scrydon-s3-'), 'data');
  await mkdir(directory, { recursive: true });
  const port = await freePort();
  let err = '';
  const child: ChildProcess = spawn(process.execPath, [MAIN, directory, String(port), bucket], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (c: Buffer) => {
    if (err.length < 8192) err += c.toString('utf8');
  });
  await waitListening(port, child, 's3rver', () => err);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
