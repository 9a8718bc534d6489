/** What every benchmark section shares: running a command, timing it with GNU time, and medians. */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const TIME = '/usr/bin/time';

export interface Sample {
  seconds: number;
  /** user + system CPU seconds: steadier than wall time when other work shares the machine. */
  cpu: number;
  rssMiB: number;
}

/** Runs `cmd` to completion (stdout discarded, stderr shown); a non-zero exit throws. */
export function run(cmd: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): void {
  const r = spawnSync(cmd[0] as string, cmd.slice(1), {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
    ...(cwd ? { cwd } : {}),
  });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
}

/** Runs `cmd` under GNU time: wall seconds, CPU seconds and peak RSS (`timeFile` is scratch). */
export async function timed(cmd: readonly string[], env: NodeJS.ProcessEnv, timeFile: string): Promise<Sample> {
  const start = process.hrtime.bigint();
  run([TIME, '-f', '%M %U %S', '-o', timeFile, ...cmd], env);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const [rssKiB, user, sys] = ((await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '')
    .split(' ')
    .map(Number) as [number, number, number];
  return { seconds, cpu: user + sys, rssMiB: rssKiB / 1024 };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Seconds one thread takes to sha256 as many bytes as `file` holds, fed 1 MiB at a time from one buffer that stays in
 * the CPU's cache (the median of `runs`): the compute floor under any copy that verifies what it moves. A streamed
 * sha256 of the file is slower than this by its reads; one of the whole file read into memory first is slower still
 * (its bytes come from RAM, not the cache a 1 MiB read leaves them in).
 */
export function hashSeconds(file: string, runs: number): number {
  const script = [
    "const c=require('crypto');const n=require('fs').statSync(process.argv[1]).size;const b=c.randomBytes(1<<20);",
    "const t=process.hrtime.bigint();const h=c.createHash('sha256');",
    'for(let left=n;left>0;left-=b.length)h.update(left>=b.length?b:b.subarray(0,left));h.digest();',
    'console.log(Number(process.hrtime.bigint()-t)/1e9)',
  ].join('');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`hashing ${file}'s size exited ${r.status}: ${r.stderr}`);
    times.push(Number(r.stdout.trim()));
  }
  return median(times);
}

/**
 * Whether a ratio goal can be met on this machine at all: the goal's time (`goal` × the peer's) beside the least
 * time the work takes here (`limit`, e.g. one thread's sha256 of the bytes, which a verifying copy cannot skip).
 */
export function goalAgainstLimit(
  figure: string,
  goal: number,
  peerSeconds: number,
  limit: number,
  what: string,
): string {
  const at = goal * peerSeconds;
  const verdict = !(Number.isFinite(at) && Number.isFinite(limit))
    ? 'not measured'
    : at < limit
      ? 'below the limit: nothing that does this work reaches it on this machine'
      : `within reach (the limit is ${(limit / peerSeconds).toFixed(2)} x the peer)`;
  return `${figure.padEnd(6)} goal ${goal.toFixed(2)} x ${peerSeconds.toFixed(2)} s = ${at.toFixed(2)} s; limit ${limit.toFixed(2)} s (${what}): ${verdict}`;
}
