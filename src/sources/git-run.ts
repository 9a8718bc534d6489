import { spawn } from 'node:child_process';
import { isScrydonError, ScrydonError } from '../errors.js';

/**
 * Runs the system `git` (the one external program scrydon uses): bounded output, an abort signal, a time
 * limit, and errors that never carry a secret (every value in `secrets`, and its base64, is masked).
 */
interface GitRunOptions {
  /** The whole environment git runs with (the CLI passes its own; src/ never reads process.env). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal | undefined;
  /** Largest stdout kept (default 4 MiB); more is an error. */
  maxStdout?: number;
  /** Kill git after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Strings that must never appear in an error message. */
  secrets?: readonly string[];
  /** What is being done, for the error message: "fetching main from https://…". */
  what: string;
}

const DEFAULT_MAX_STDOUT = 4 * 1024 * 1024;
const STDERR_KEEP = 16 * 1024;

export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of [s, Buffer.from(s).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}

export async function runGit(args: readonly string[], o: GitRunOptions): Promise<Buffer> {
  o.signal?.throwIfAborted();
  const max = o.maxStdout ?? DEFAULT_MAX_STDOUT;
  const secrets = o.secrets ?? [];
  return new Promise<Buffer>((resolve, reject) => {
    // its own process group, ended as a whole: git's transport helper (git-remote-http, ssh) holds the pipes too,
    // and would keep a stalled connection (and this run) alive after git itself is gone
    const child = spawn('git', [...args], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killAll = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const onAbort = (): void => killAll('SIGTERM');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let overflow = false;
    let outlived = false;
    const limitMs = o.timeoutMs ?? 600_000;
    const timer = setTimeout(() => {
      outlived = true;
      killAll('SIGKILL');
    }, limitMs);
    timer.unref();
    child.stdout.on('data', (c: Buffer) => {
      outBytes += c.byteLength;
      if (outBytes > max) {
        overflow = true;
        killAll('SIGKILL');
        return;
      }
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < STDERR_KEEP) err += c.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new ScrydonError(
          'fetch_failed',
          `${o.what}: ${missing ? 'git is not installed' : maskSecrets(e.message, secrets)}`,
          {
            cause: e,
            ...(missing ? { hint: 'git sources need the system git (apt-get install git)' } : {}),
          },
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) {
        reject(stoppedBy(o.signal.reason, o.what));
        return;
      }
      if (outlived) {
        reject(
          new ScrydonError('timeout', `${o.what}: git did not finish within ${Math.round(limitMs / 1000)} s`, {
            hint: 'the git server stalled; retry later, or bound the run with --timeout',
          }),
        );
        return;
      }
      if (overflow) {
        reject(new ScrydonError('size_limit_exceeded', `${o.what}: git printed more than ${max} bytes`));
        return;
      }
      if (code === 0) {
        resolve(Buffer.concat(out));
        return;
      }
      const detail = maskSecrets(err, secrets)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('hint:'))
        .slice(-4)
        .join('; ');
      // curl's speed limit and connect timeout (git-access.ts sets the first from the registry client's bounds), ssh's
      const stalled = /Operation too slow|timed out|Timeout, server .* not responding/i.test(detail);
      reject(
        new ScrydonError(
          stalled ? 'timeout' : 'fetch_failed',
          `${o.what}: git ${code !== null ? `exited ${code}` : `was killed (${signal ?? 'timeout'})`}${detail ? `: ${detail}` : ''}`,
        ),
      );
    });
  });
}

/** git stopped by its signal: the deadline's `timeout` (its reason), or an interruption. */
function stoppedBy(reason: unknown, what: string): ScrydonError {
  if (isScrydonError(reason, 'timeout'))
    return new ScrydonError('timeout', `${reason.message} while ${what}`, {
      cause: reason,
      ...(reason.hint ? { hint: reason.hint } : {}),
    });
  return new ScrydonError('aborted', `${what}: interrupted`);
}
