import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { runsPath, type RunOutcome } from './history.js';

/**
 * What reconcile remembers about a source between runs: `$SCRYDON_HOME/state/<source>/state.json`. The
 * revision is the one of the last run that succeeded as a whole (a failed run is retried in full); the
 * failure count drives backoff. Replaced atomically under a lock held for milliseconds.
 */
export interface SourceState {
  schemaVersion: 1;
  source: string;
  /** Catalog revision (commit or manifest digest) of the last fully successful installing run. */
  lastRevision?: string;
  /** sourceConfigHash() of that run: a changed URL, ref, path or policy makes the next run a full one. */
  configHash?: string;
  lastRunAt?: string;
  lastSuccessAt?: string;
  lastOutcome?: RunOutcome;
  /** Failed runs in a row (0 after a success). */
  consecutiveFailures: number;
}

const STATE_FILE = 'state.json';

function sourceStatePath(paths: HomePaths, source: string): string {
  // runsPath checks the name; the state file sits beside the history
  return join(runsPath(paths, source), '..', STATE_FILE);
}

/** `$SCRYDON_HOME/state/<source>.lock.json`. */
export function sourceLockPath(paths: HomePaths, source: string): string {
  runsPath(paths, source);
  return join(paths.state, `${source}.lock.json`);
}

function emptyState(source: string): SourceState {
  return { schemaVersion: 1, source, consecutiveFailures: 0 };
}

function parseState(text: string, path: string, source: string): SourceState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ScrydonError('state_invalid', `${path} is not JSON: ${(e as Error).message}`, {
      hint: 'remove it; the next run is then a full one',
    });
  }
  const r = v as Partial<SourceState> | null;
  const optStr = (x: unknown) => x === undefined || typeof x === 'string';
  if (
    typeof r !== 'object' ||
    r === null ||
    r.schemaVersion !== 1 ||
    r.source !== source ||
    typeof r.consecutiveFailures !== 'number' ||
    !optStr(r.lastRevision) ||
    !optStr(r.configHash) ||
    !optStr(r.lastRunAt) ||
    !optStr(r.lastSuccessAt)
  ) {
    throw new ScrydonError('state_invalid', `${path} is not a source state of ${source}`, {
      hint: 'remove it; the next run is then a full one',
    });
  }
  return r as SourceState;
}

export async function readSourceState(paths: HomePaths, source: string): Promise<SourceState> {
  const path = sourceStatePath(paths, source);
  try {
    return parseState(await readFile(path, 'utf8'), path, source);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(source);
    throw e;
  }
}

/** Read-modify-write of a source's state under its lock. */
export async function updateSourceState(
  paths: HomePaths,
  source: string,
  fn: (s: SourceState) => SourceState,
): Promise<SourceState> {
  const path = sourceStatePath(paths, source);
  return withFileLock(path, async () => {
    const next = fn(await readSourceState(paths, source));
    await writeFileAtomic(path, JSON.stringify(next, null, 2) + '\n');
    return next;
  });
}

/** Forgets the last reconciled revision, so the next run does the whole catalog (after retire, enable, policy edits). */
export async function invalidateRevision(paths: HomePaths, source: string): Promise<void> {
  const current = await readSourceState(paths, source);
  if (current.lastRevision === undefined && current.configHash === undefined) return;
  await updateSourceState(paths, source, (s) => {
    const next = { ...s };
    delete next.lastRevision;
    delete next.configHash;
    return next;
  });
}

/** Removes a source's state and lock (its run history stays, for the record). */
export async function removeSourceState(paths: HomePaths, source: string): Promise<void> {
  await rm(sourceStatePath(paths, source), { force: true });
  await rm(sourceLockPath(paths, source), { force: true });
}
