import { createHash } from 'node:crypto';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HomePaths } from '../config/paths.js';
import { ScrydonError } from '../errors.js';
import { isSourceName } from '../sources/source-name.js';

/**
 * Reconcile's run history: `$SCRYDON_HOME/state/<source>/runs.jsonl`, append-only, one run a line written as
 * `<sha256 hex of the JSON>\t<JSON>`. A reader drops every line whose hash does not match, so a torn or
 * interleaved append (a killed process, two writers at once) is harmless and no lock is needed (cacache's
 * entry index does the same). Each append starts with a newline, so a torn previous line cannot swallow it.
 */

export const RUN_TRIGGERS = ['manual', 'watch', 'file'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export const RUN_OUTCOMES = ['success', 'failed', 'unchanged'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
/** `pending-review`: mirrored and verified, but a required attestation is missing, so not installed (scrydon approve). */
const PACK_OUTCOMES = [
  'installed',
  'unchanged',
  'failed',
  'retired',
  'mirrored',
  'restored',
  'pending-review',
] as const;
export type PackOutcome = (typeof PACK_OUTCOMES)[number];

export interface RunPack {
  id: string;
  version: string;
  /** Manifest digest, when the pack got as far as being resolved. */
  digest?: string;
  outcome: PackOutcome;
  /** The ScrydonError code of a failure (catalog-spec/error-codes.md). */
  code?: string;
  /** The error's message, or what was done. Never a secret. */
  detail?: string;
}

export interface RunRecord {
  runId: string;
  source: string;
  trigger: RunTrigger;
  /** ISO 8601. */
  startedAt: string;
  endedAt: string;
  /** What was reconciled: the catalog's manifest digest or the git commit. */
  revision: string;
  outcome: RunOutcome;
  /** Whether the source's policy let unsigned packs through in this run. */
  unsignedAllowed: boolean;
  packs: RunPack[];
  /** How the run ran: `normal`, or `mirror-only`, `offline`, `locked` (joined with +). */
  mode?: string;
  /** A failure of the whole run (fetching or parsing the catalog): its code and message. */
  code?: string;
  detail?: string;
  /** The lock written (or, with --locked, followed) by this run: its catalog revision. */
  lockRevision?: string;
}

const RUNS_FILE = 'runs.jsonl';
/** A reader looks at the newest this many bytes of a history file (older runs are beyond any page's reach). */
const MAX_READ_BYTES = 32 * 1024 * 1024;
const MAX_LINE_BYTES = 1024 * 1024;
function assertSourceName(s: string): void {
  if (!isSourceName(s)) {
    throw new ScrydonError('usage', `"${s.slice(0, 100)}" is not a source name`, {
      hint: 'source names are letters, digits, . _ - (at most 128)',
    });
  }
}

/** The history file of one source. */
export function runsPath(paths: HomePaths, source: string): string {
  assertSourceName(source);
  return join(paths.state, source, RUNS_FILE);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);

function isRunPack(v: unknown): v is RunPack {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  return (
    isString(p.id) &&
    isString(p.version) &&
    oneOf(PACK_OUTCOMES, p.outcome) &&
    optString(p.digest) &&
    optString(p.code) &&
    optString(p.detail)
  );
}

/** Whether `v` has the shape of a run record (what a reader keeps, and what appendRun accepts). */
function isRunRecord(v: unknown): v is RunRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  return (
    isString(r.runId) &&
    isString(r.source) &&
    oneOf(RUN_TRIGGERS, r.trigger) &&
    isString(r.startedAt) &&
    isString(r.endedAt) &&
    isString(r.revision) &&
    oneOf(RUN_OUTCOMES, r.outcome) &&
    typeof r.unsignedAllowed === 'boolean' &&
    optString(r.mode) &&
    optString(r.code) &&
    optString(r.detail) &&
    optString(r.lockRevision) &&
    Array.isArray(r.packs) &&
    r.packs.every(isRunPack)
  );
}

function hashOf(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** One history line (with the leading newline that isolates it from a torn predecessor). */
export function runLine(record: RunRecord): string {
  const json = JSON.stringify(record);
  return `\n${hashOf(json)}\t${json}\n`;
}

/** Records whose line hash matches and whose shape is a run, in file order; everything else is dropped. */
export function parseRuns(text: string): RunRecord[] {
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.length < 66 || line.length > MAX_LINE_BYTES || line.charCodeAt(64) !== 9) continue;
    const json = line.slice(65);
    if (hashOf(json) !== line.slice(0, 64)) continue;
    let v: unknown;
    try {
      v = JSON.parse(json);
    } catch {
      continue;
    }
    if (isRunRecord(v)) out.push(v);
  }
  return out;
}

/** Appends one run to its source's history (one write, then fsync). Concurrent appends need no lock. */
export async function appendRun(paths: HomePaths, record: RunRecord): Promise<void> {
  if (!isRunRecord(record))
    throw new ScrydonError(
      'internal',
      `run ${String((record as { runId?: unknown }).runId)} is not a valid run record`,
    );
  const file = runsPath(paths, record.source);
  await mkdir(join(paths.state, record.source), { recursive: true });
  const fh = await open(file, 'a', 0o644);
  try {
    await fh.write(runLine(record));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readTail(file: string): Promise<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(size, MAX_READ_BYTES);
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, size - len);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

interface ReadRunsOptions {
  /** At most this many runs (the newest). */
  limit?: number | undefined;
}

/** A source's runs, newest first (by startedAt; a later line first when two start together). */
export async function readRuns(paths: HomePaths, source: string, o: ReadRunsOptions = {}): Promise<RunRecord[]> {
  const runs = parseRuns(await readTail(runsPath(paths, source)))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.startedAt === b.r.startedAt ? b.i - a.i : a.r.startedAt < b.r.startedAt ? 1 : -1))
    .map((x) => x.r);
  return o.limit !== undefined && o.limit >= 0 ? runs.slice(0, o.limit) : runs;
}

/** Sources that have a run history, sorted by name. */
export async function listSources(paths: HomePaths): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(paths.state);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const name of names.filter(isSourceName).sort()) {
    const st = await stat(join(paths.state, name, RUNS_FILE)).catch(() => undefined);
    if (st?.isFile()) out.push(name);
  }
  return out;
}
