import { readFile } from 'node:fs/promises';
import { processAlive } from './live-process.js';

/**
 * Who owns a temp file or a lease: a process id, and (where /proc tells it) the process's start time, so a pid
 * the kernel handed to a new process after the owner died is not mistaken for the owner.
 */

/**
 * The start time of `pid` as /proc/PID/stat gives it (field 22, clock ticks since boot), or undefined where there
 * is no /proc (macOS) or no such process. The command name (field 2) may hold spaces and parentheses: fields are
 * counted after its last `)`.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = fields[19]; // field 22; fields[0] is field 3 (state)
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** This process's start-time token for names: its /proc start time, or `0` where none is known. */
let self: Promise<string> | undefined;
export function selfStartToken(): Promise<string> {
  self ??= processStartTime(process.pid).then((s) => s ?? '0');
  return self;
}

/**
 * Whether the process that wrote `start` (a token from selfStartToken) as `pid` still runs. A token of `0`, or a
 * process whose start time cannot be read, is judged by its pid alone.
 */
export async function ownerAlive(pid: number, start: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  if (start === '0') return true;
  const now = await processStartTime(pid);
  return now === undefined || now === start;
}
