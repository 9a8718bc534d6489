import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { parseCached, rememberParsed } from '../fs/parsed-cache.js';
import { CONTENT_KINDS, type ContentKind } from '../pack/pack-json.js';

/** What the install root remembers about each installed pack: `<root>/installed.json`. */

const INSTALL_STATE_FILE = 'installed.json';
const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** `active` once installed; `pending-review` (unsigned, non-interactive) and `retired` are set by reconcile. */
export const INSTALL_STATUSES = ['active', 'pending-review', 'retired'] as const;
export type InstallStatus = (typeof INSTALL_STATUSES)[number];

export interface InstalledContent {
  kind: ContentKind;
  path: string;
}

export interface InstallRecord {
  id: string;
  version: string;
  /** Manifest digest of the installed pack. */
  digest: string;
  /** `manual` for the CLI; a source's name when reconcile installs it. */
  source: string;
  /** ISO 8601. */
  installedAt: string;
  status: InstallStatus;
  /** pack.json's contents, in the order they were installed (installOrder). */
  contents: InstalledContent[];
  /** pack.json's dependencies (id → semver range); absent in records written before they were kept. */
  dependencies?: Record<string, string>;
}

export interface InstallState {
  schemaVersion: 1;
  packs: Record<string, InstallRecord>;
}

function installStatePath(root: string): string {
  return join(root, INSTALL_STATE_FILE);
}

function emptyInstallState(): InstallState {
  return { schemaVersion: 1, packs: {} };
}

/** A name used as one path component under the install root (a pack id or version): never `..`, `/` or empty. */
export function assertSafeSegment(s: string, what: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/.test(s)) {
    throw new ScrydonError('pack_invalid', `${what} "${s.slice(0, 100)}" cannot name a directory in the install root`);
  }
}

function invalid(path: string, why: string): ScrydonError {
  return new ScrydonError('state_invalid', `install state ${path}: ${why}`, {
    hint: 'the file was edited or damaged; restore it, or remove it and reinstall the packs',
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function assertRecord(v: unknown, key: string, path: string): asserts v is InstallRecord {
  const bad = (why: string): never => {
    throw invalid(path, `packs["${key.slice(0, 100)}"]: ${why}`);
  };
  if (!isRecord(v)) bad('not an object');
  const r = v as Record<string, unknown>;
  for (const f of ['id', 'version', 'digest', 'source', 'installedAt'] as const)
    if (typeof r[f] !== 'string') bad(`${f} is not a string`);
  if (r.id !== key) bad('id does not match its key');
  if (!INSTALL_STATUSES.includes(r.status as InstallStatus))
    bad(`status "${String(r.status)}" is not one of ${INSTALL_STATUSES.join(', ')}`);
  if (!Array.isArray(r.contents)) bad('contents is not an array');
  for (const c of r.contents as unknown[]) {
    if (!isRecord(c) || typeof c.path !== 'string' || !CONTENT_KINDS.includes(c.kind as ContentKind))
      bad('contents has an invalid entry');
  }
  if (
    r.dependencies !== undefined &&
    (!isRecord(r.dependencies) || Object.values(r.dependencies).some((v) => typeof v !== 'string'))
  ) {
    bad('dependencies is not an object of version ranges');
  }
  try {
    assertSafeSegment(r.id as string, 'pack id');
    assertSafeSegment(r.version as string, 'version');
  } catch (e) {
    bad((e as Error).message);
  }
}

/** Parses and checks the state file's bytes (untrusted: it lives on disk where anything may edit it). */
function parseInstallState(text: string, path: string): InstallState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(v) || v.schemaVersion !== 1 || !isRecord(v.packs))
    throw invalid(path, 'expected {"schemaVersion": 1, "packs": {…}}');
  for (const [key, rec] of Object.entries(v.packs)) assertRecord(rec, key, path);
  return v as unknown as InstallState;
}

/** The current state (frozen); an absent file is an empty state. Reads without a lock (the file is replaced atomically). */
export async function readInstallState(root: string): Promise<InstallState> {
  const path = installStatePath(root);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyInstallState();
    throw e;
  }
  if (Buffer.byteLength(text) > MAX_STATE_BYTES) throw invalid(path, `larger than ${MAX_STATE_BYTES} bytes`);
  return parseCached(path, text, (t) => parseInstallState(t, path));
}

/**
 * Runs `fn` holding the state lock, with the state as it is now and a `save` that replaces the file
 * atomically. Keep `fn` to renames and the save: the lock is held for milliseconds.
 */
export async function withInstallState<T>(
  root: string,
  fn: (state: InstallState, save: (s: InstallState) => Promise<void>) => Promise<T>,
): Promise<T> {
  const path = installStatePath(root);
  return withFileLock(path, async () => {
    const state = await readInstallState(root);
    return fn(state, async (s) => {
      const text = JSON.stringify(s, null, 2) + '\n';
      await writeFileAtomic(path, text);
      rememberParsed(path, text, s);
    });
  });
}

/** What a step of a batched state update returns: the new state (none: unchanged) and the step's result. */
export interface StateChange<T> {
  state?: InstallState;
  result: T;
  /** Undoes the step's file moves when the batch's write fails (the state on disk is then the one before). */
  undo?: () => Promise<void>;
  /** Runs under the lock once the state naming the step is written (best-effort clean-up). */
  committed?: () => Promise<void>;
}

type StateStep = {
  apply: (state: InstallState) => Promise<StateChange<unknown>>;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
};

/** Steps waiting for the state lock, per state file: the next holder runs them all and writes once (group commit). */
const queued = new Map<string, StateStep[]>();

/**
 * A read-modify-write of the state under its lock, batched: steps queued in this process while the lock is
 * awaited run one after the other under one hold, each seeing the state the steps before it made, and the file
 * is written once for them all (a reconcile installing packs side by side rewrites installed.json far fewer
 * times). Keep a step to renames: the lock is held for all of them. When the write fails, every step's undo
 * runs (last first) and every step fails with the write's error.
 */
export function updateInstallState<T>(
  root: string,
  apply: (state: InstallState) => Promise<StateChange<T>>,
): Promise<T> {
  const path = installStatePath(root);
  return new Promise<T>((resolve, reject) => {
    let batch = queued.get(path);
    const first = batch === undefined;
    if (!batch) {
      batch = [];
      queued.set(path, batch);
    }
    batch.push({ apply, resolve: resolve as (r: unknown) => void, reject });
    if (first) runQueued(root, path).catch(() => undefined);
  });
}

async function runQueued(root: string, path: string): Promise<void> {
  let batch: StateStep[] = [];
  const failures = new Map<StateStep, unknown>();
  try {
    await withInstallState(root, async (start, save) => {
      batch = queued.get(path) ?? [];
      queued.delete(path); // later steps start the next batch
      let state = start;
      const settled: Array<{ step: StateStep; change?: StateChange<unknown> }> = [];
      for (const step of batch) {
        try {
          const change = await step.apply(state);
          if (change.state) state = change.state;
          settled.push({ step, change });
        } catch (error) {
          failures.set(step, error);
          settled.push({ step });
        }
      }
      if (state !== start) {
        try {
          await save(state);
        } catch (e) {
          for (const s of [...settled].reverse()) await s.change?.undo?.().catch(() => undefined);
          throw e;
        }
      }
      for (const s of settled) if (s.change?.committed) await s.change.committed().catch(() => undefined);
      for (const s of settled) {
        if (s.change) s.step.resolve(s.change.result);
        else s.step.reject(failures.get(s.step));
      }
    });
  } catch (e) {
    // the lock or the write failed: nothing of this batch was written. Without the lock the batch was never
    // taken: it is still the queued one (steps that came while waiting joined it)
    if (batch.length === 0) {
      batch = queued.get(path) ?? [];
      queued.delete(path);
    }
    for (const step of batch) step.reject(failures.has(step) ? failures.get(step) : e);
  }
}

export function findRecord(state: InstallState, id: string): InstallRecord | undefined {
  return Object.hasOwn(state.packs, id) ? state.packs[id] : undefined;
}

export function withRecord(state: InstallState, rec: InstallRecord): InstallState {
  return { ...state, packs: { ...state.packs, [rec.id]: rec } };
}

export function withoutRecord(state: InstallState, id: string): InstallState {
  const packs = { ...state.packs };
  delete packs[id];
  return { ...state, packs };
}
