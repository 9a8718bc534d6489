import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withFileLock } from '../fs/lock.js';
import { parseCached, rememberParsed } from '../fs/parsed-cache.js';
import { nestedJson } from '../json-text.js';
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
function parseInstallState(bytes: Buffer, path: string): InstallState {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
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
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyInstallState();
    throw e;
  }
  if (bytes.length > MAX_STATE_BYTES) throw invalid(path, `larger than ${MAX_STATE_BYTES} bytes`);
  // the bytes, not their decoded text, key the parse: a reconcile reads a growing file once per install
  return parseCached(path, bytes, (b: Buffer) => parseInstallState(b, path));
}

/** Each record's text in the state file (its `"id": {…}` entry), kept while the record (frozen) lives. */
const entryBytes = new WeakMap<InstallRecord, Buffer>();

function packEntry(key: string, rec: InstallRecord): Buffer {
  const cacheable = key === rec.id && Object.isFrozen(rec);
  let b = cacheable ? entryBytes.get(rec) : undefined;
  if (!b) {
    b = Buffer.from(`    ${JSON.stringify(key)}: ${nestedJson(rec, '    ')}`);
    if (cacheable) entryBytes.set(rec, b);
  }
  return b;
}

/**
 * The state file's bytes: exactly `JSON.stringify(state, null, 2)` and a newline, built from each record's text
 * kept from the last write (a reconcile of 1,000 packs rewrites the file hundreds of times; only the new records
 * are turned into text).
 */
export function installStateBytes(state: InstallState): Buffer {
  const parts: Buffer[] = [];
  // the fields JSON.stringify writes (it leaves out undefined, functions and symbols)
  const fields = Object.entries(state).filter(([, v]) => v !== undefined && !['function', 'symbol'].includes(typeof v));
  parts.push(Buffer.from('{\n'));
  fields.forEach(([k, v], i) => {
    parts.push(Buffer.from(`  ${JSON.stringify(k)}: `));
    const keys = k === 'packs' ? Object.keys(v as object) : [];
    if (keys.length === 0) parts.push(Buffer.from(nestedJson(v, '  ') as string));
    else {
      parts.push(Buffer.from('{\n'));
      keys.forEach((id, j) => {
        if (j > 0) parts.push(Buffer.from(',\n'));
        parts.push(packEntry(id, (v as InstallState['packs'])[id] as InstallRecord));
      });
      parts.push(Buffer.from('\n  }'));
    }
    parts.push(Buffer.from(i < fields.length - 1 ? ',\n' : '\n'));
  });
  parts.push(Buffer.from('}\n'));
  return Buffer.concat(parts);
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
      const bytes = installStateBytes(s);
      await writeFileAtomic(path, bytes);
      rememberParsed(path, bytes, s);
    });
  });
}

/** What a step of a batched state update returns: the record it puts (none: unchanged) and the step's result. */
export interface StateChange<T> {
  /** Added, or replacing the record of its id. */
  put?: InstallRecord;
  result: T;
  /** Undoes the step's file moves when the batch's write fails (the state on disk is then the one before). */
  undo?: () => Promise<void>;
  /** Runs under the lock once the state naming the step is written (best-effort clean-up). */
  committed?: () => Promise<void>;
}

type StateStep = {
  apply: (state: Readonly<InstallState>) => Promise<StateChange<unknown>>;
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
  apply: (state: Readonly<InstallState>) => Promise<StateChange<T>>,
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
      // one copy of the packs for the whole batch (not one per step: a copy costs as much as the state is large)
      let state: InstallState = start;
      const settled: Array<{ step: StateStep; change?: StateChange<unknown> }> = [];
      for (const step of batch) {
        try {
          const change = await step.apply(state);
          if (change.put) {
            if (state === start) state = { ...start, packs: { ...start.packs } };
            state.packs[change.put.id] = change.put;
          }
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
