import { mkdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { fsyncDir } from '../fs/atomic-write.js';
import { INTEGRATION_BUNDLE_MAX_BYTES, type PackJson } from '../pack/pack-json.js';
import type { PackTarLimits } from '../pack/pack-tar.js';
import { parsePackJson, readPack, type PackRead, type PackRef } from '../pack/read.js';
import { withLeasedStore, type LeasedStore } from '../store/leased-store.js';
import type { Store } from '../store/store-target.js';
import { applyAdmission, assertAdmitted, type Admission } from './admission.js';
import { checkDependencies } from './check-dependencies.js';
import { bytesAt, extractPackLayer, type Extracted } from './extract.js';
import { removeDeadScratch, scratchName } from './leftovers.js';
import {
  assertSafeSegment,
  findRecord,
  readInstallState,
  updateInstallState,
  type StateChange,
  type InstallRecord,
  type InstalledContent,
  type InstallStatus,
} from './state.js';

export interface InstallOptions extends IoOptions {
  /** The install root: packs land in `<root>/<id>/<version>/`, state in `<root>/installed.json`. */
  root: string;
  /** Who installs: `manual` (the CLI, the default) or a source's name (reconcile). */
  source?: string;
  status?: InstallStatus;
  limits?: Partial<PackTarLimits> | undefined;
  /** The clock (tests, reconcile runs). */
  now?: () => Date;
  /** Why this pack may be installed (admission.ts): the store policy, or a policy applied already. Required. */
  admission: Admission;
  /** Install without checking pack.json's dependencies against what is installed (`--no-deps`). */
  ignoreDependencies?: boolean;
  /** Read the pack under this lease (a caller installing many packs holds one for them all); else one of its own. */
  leased?: LeasedStore | undefined;
  /**
   * Called once the pack is extracted and checked, before the state lock is awaited: a caller installing many packs
   * starts the next extraction then, so more records join each write of installed.json (group commit).
   */
  extracted?: () => void;
}

export interface InstallResult {
  /** `unchanged`: the same digest was already installed and nothing was touched. */
  action: 'installed' | 'replaced' | 'unchanged';
  record: InstallRecord;
  /** The record this install replaced (another version or digest of the same id). */
  previous?: InstallRecord;
  /** Absolute path of `<root>/<id>/<version>`. */
  dir: string;
  /** The policy's warnings (permissive or disabled: the pack was not verified). */
  warnings: string[];
}

/** What the state step of an install gives back: the result, and directories moved aside to delete. */
interface Placed {
  result: InstallResult;
  trash: string[];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
}

/** Removes the directories `mkdir -p` created (from `leaf` up to `first`), only while they are empty. */
async function removeCreated(first: string | undefined, leaf: string): Promise<void> {
  if (first === undefined) return;
  for (let d = leaf; ; d = dirname(d)) {
    if (
      !(await rmdir(d).then(
        () => true,
        () => false,
      ))
    )
      return;
    if (d === first || dirname(d) === d) return;
  }
}

function normalContentPath(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** pack.json's contents in installOrder (kinds in order, entries of one kind in pack.json's order). */
function orderedContents(pj: PackJson): InstalledContent[] {
  const rank = new Map(pj.installOrder.map((k, i) => [k, i] as const));
  return pj.contents
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (rank.get(a.c.kind) ?? Infinity) - (rank.get(b.c.kind) ?? Infinity) || a.i - b.i)
    .map(({ c }) => ({ kind: c.kind, path: normalContentPath(c.path) }));
}

/**
 * Checks the extracted tree against pack.json, in install order: each declared path exists, integration
 * bundles are within 8 MiB, and a pack.json inside the layer names the same pack as the config.
 */
async function checkExtracted(
  pack: PackRead,
  x: Extracted,
  staging: string,
  what: string,
): Promise<InstalledContent[]> {
  const order = orderedContents(pack.packJson);
  for (const c of order) {
    const size = bytesAt(x, c.path);
    if (size === undefined) {
      throw new ScrydonError(
        'pack_invalid',
        `${what}: pack.json lists ${c.kind} "${c.path}", which is not in the pack`,
        {
          hint: 'every contents[].path must exist in the pack directory',
        },
      );
    }
    if (c.kind === 'integration' && size > INTEGRATION_BUNDLE_MAX_BYTES) {
      throw new ScrydonError(
        'size_limit_exceeded',
        `${what}: integration bundle "${c.path}" is ${size} bytes, over the ${INTEGRATION_BUNDLE_MAX_BYTES}-byte limit`,
        {
          hint: 'integration bundles are limited to 8 MiB; larger integrations are uploaded by hand',
        },
      );
    }
  }
  if (pack.packJsonSource === 'config' && x.files.has('pack.json')) {
    const inLayer = await parsePackJson(
      x.packJson ?? (await readFile(join(staging, 'pack.json'))),
      `pack.json in layer ${pack.layer.digest} of ${what}`,
    );
    const a = pack.packJson.package;
    const b = inLayer.package;
    if (a.id !== b.id || a.version !== b.version) {
      throw new ScrydonError(
        'pack_invalid',
        `${what}: the config says ${a.id}@${a.version} but the layer's pack.json says ${b.id}@${b.version}`,
      );
    }
  }
  return order;
}

/**
 * Installs a stored pack into `<root>/<id>/<version>/`: applies its admission (verify before install), reads
 * it, checks its dependencies against the install state, extracts its layer into `<root>/.staging-*`, checks
 * it, then — under the state lock — renames it into place and records it. Any failure leaves the install
 * root as it was. Installing the digest already installed is a no-op.
 */
export async function installPack(target: Store, ref: PackRef, o: InstallOptions): Promise<InstallResult> {
  if (o.leased) return installLeased(target, o.leased, ref, o);
  return withLeasedStore(target, (leased) => installLeased(target, leased, ref, o));
}

/** installPack, reading the pack through `leased`: what it resolves is held, so a concurrent gc leaves it be. */
async function installLeased(
  target: Store,
  leased: LeasedStore,
  ref: PackRef,
  o: InstallOptions,
): Promise<InstallResult> {
  const root = resolve(o.root);
  const what = typeof ref === 'string' ? ref : ref.digest;
  const admitted = await applyAdmission(o.admission, target, ref, o);
  const { warnings } = admitted;
  if (typeof ref !== 'string') await leased.hold([ref]);
  const pack = await readPack(leased, ref, o);
  assertAdmitted(admitted, pack.descriptor.digest, what);
  const { id, version } = pack.packJson.package;
  assertSafeSegment(id, 'pack id');
  assertSafeSegment(version, 'pack version');
  const idDir = join(root, id);
  const dir = join(idDir, version);
  const digest = pack.descriptor.digest;

  const installed = await readInstallState(root);
  const dependencies = pack.packJson.dependencies ?? {};
  if (!o.ignoreDependencies) await checkDependencies(target, { id, version, dependencies }, installed, o);
  const current = findRecord(installed, id);
  if (current && current.digest === digest && current.version === version && (await exists(dir))) {
    return { action: 'unchanged', record: current, dir, warnings };
  }

  const firstCreated = await mkdir(root, { recursive: true });
  await removeDeadScratch(root);
  let staging: string | undefined = scratchName(root, 'staging');
  await mkdir(staging, { mode: 0o700 }); // as mkdtemp made it
  let idDirCreated = false;
  try {
    const extracted = await extractPackLayer(leased, pack.layer, staging, {
      what: `layer ${pack.layer.digest} of ${what}`,
      limits: o.limits,
      signal: o.signal,
    });
    const contents = await checkExtracted(pack, extracted, staging, what);
    o.signal?.throwIfAborted();
    const record: InstallRecord = {
      id,
      version,
      digest,
      source: o.source ?? 'manual',
      installedAt: (o.now?.() ?? new Date()).toISOString(),
      status: o.status ?? 'active',
      contents,
      ...(Object.keys(dependencies).length ? { dependencies } : {}),
    };
    const staged = staging;
    o.extracted?.();
    // under the state lock, batched with installs running beside this one (one write of installed.json for all)
    const outcome = await updateInstallState(root, async (state): Promise<StateChange<Placed>> => {
      const previous = findRecord(state, id);
      if (previous && previous.digest === digest && previous.version === version && (await exists(dir))) {
        return { result: { result: { action: 'unchanged', record: previous, dir, warnings }, trash: [] } };
      }
      idDirCreated = (await mkdir(idDir, { recursive: true })) !== undefined;
      const trash: string[] = [];
      let displaced: string | undefined;
      let placed = false;
      const undo = async (): Promise<void> => {
        if (placed) await rename(dir, staged);
        if (displaced) await rename(displaced, dir);
      };
      try {
        // a directory of this version with no matching record (another digest, or a crash's leftover) is replaced
        if (await exists(dir)) {
          displaced = scratchName(root, 'trash');
          await rename(dir, displaced);
        }
        await rename(staged, dir);
        placed = true;
        await fsyncDir(idDir);
      } catch (e) {
        await undo();
        throw e;
      }
      if (displaced) trash.push(displaced);
      const result: InstallResult = { action: previous ? 'replaced' : 'installed', record, dir, warnings };
      if (previous) result.previous = previous;
      return {
        put: record,
        result: { result, trash },
        undo,
        // the record is written: the install has happened. Moving the old version out is best effort.
        committed: async () => {
          staging = undefined;
          if (!previous || previous.version === version) return;
          const old = scratchName(root, 'trash');
          if (
            await rename(join(idDir, previous.version), old).then(
              () => true,
              () => false,
            )
          )
            trash.push(old);
        },
      };
    });
    await Promise.all(outcome.trash.map((t) => rm(t, { recursive: true, force: true }).catch(() => undefined)));
    return outcome.result;
  } catch (e) {
    if (staging !== undefined) {
      await rm(staging, { recursive: true, force: true });
      staging = undefined;
      if (idDirCreated) await rmdir(idDir).catch(() => undefined);
      await removeCreated(firstCreated, root);
    }
    throw e;
  } finally {
    // an `unchanged` found under the lock (a concurrent install won) leaves our staging copy behind
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}
