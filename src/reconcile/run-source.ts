import { randomBytes } from 'node:crypto';
import type { HomePaths } from '../config/paths.js';
import { Limiter } from '../content/limiter.js';
import { ScrydonError } from '../errors.js';
import { listInstalled } from '../install/uninstall.js';
import type { LoadedTrust } from '../signature/verify.js';
import { parseSourceCatalog } from '../sources/open-session.js';
import type { FetchedCatalog, SourceSession } from '../sources/session.js';
import { sourceConfigHash } from '../sources/source-spec.js';
import type { Store } from '../store/store-target.js';
import { appendRun, type RunOutcome, type RunPack, type RunRecord, type RunTrigger } from './history.js';
import { setStatuses } from './lifecycle.js';
import { findStoredLock, readLockFile, type ReconcileLock } from './lock-file.js';
import { planSource } from './plan.js';
import { RunInstalls, type InstallInput } from './run-install.js';
import { writeRunLock } from './run-lock-write.js';
import { failed, mapLimit, preparePack, type PrepareResult } from './run-packs.js';
import { readSourceState, updateSourceState } from './source-state.js';
import { attestationsText } from './verify-pack.js';

interface RunDeps {
  paths: HomePaths;
  store: Store;
  /** The install root (`$SCRYDON_HOME/packs`). */
  root: string;
  session: SourceSession;
  trust: LoadedTrust | undefined;
  now?: () => Date;
}

export interface RunOptions {
  trigger: RunTrigger;
  /** Run even when the revision is the one last reconciled. */
  force?: boolean;
  /** Fill the store (and verify); install and retire nothing. */
  mirrorOnly?: boolean;
  /** The session makes no network call (recorded in the run's mode). */
  offline?: boolean;
  /** Install exactly the lock's digests, at the lock's catalog revision, or fail. */
  locked?: boolean;
  /** Asked between steps: a stop request lets the current step finish and ends the run. */
  stop?: AbortSignal | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Packs mirrored, verified and installed at once. Unset: LOCAL_CONCURRENCY for what is local work (a git-tar
   * entry packed from the checkout, every install), REMOTE_CONCURRENCY for pulls from a registry.
   */
  concurrency?: number;
}

/**
 * Packing and installing from disk wait on the file system (an fsync each blob and file) more than on the CPU: twice
 * the registry's number keeps both cores busy (1,000 git-tar entries: about a fifth faster than 4, measured).
 */
const LOCAL_CONCURRENCY = 8;
/** Registry pulls at once, as crane's and skopeo's defaults keep them: a registry is a shared service. */
const REMOTE_CONCURRENCY = 4;

class RunFailure extends Error {
  constructor(
    readonly code: 'fetch_failed' | 'parse_failed' | 'verify_failed' | 'aborted',
    readonly detail: string,
  ) {
    super(detail);
  }
}

function runFailure(code: RunFailure['code'], e: unknown): RunFailure {
  const inner = e instanceof ScrydonError && e.code !== code ? `${e.code}: ` : '';
  return new RunFailure(code, `${inner}${e instanceof Error ? e.message : String(e)}`);
}

async function lockFor(d: RunDeps, name: string): Promise<{ lock: ReconcileLock; catalog: FetchedCatalog }> {
  const fromFile = await readLockFile(d.paths, name);
  const s = d.session.source;
  if (
    fromFile &&
    (fromFile.source.type !== s.type || fromFile.source.url !== s.url || fromFile.source.catalogPath !== s.catalogPath)
  ) {
    throw new RunFailure(
      'verify_failed',
      `--locked: ${name}.lock.json locks ${fromFile.source.type} ${fromFile.source.url} (${fromFile.source.catalogPath}), not this source's ${s.type} ${s.url} (${s.catalogPath})`,
    );
  }
  if (fromFile) {
    const catalog = await d.session
      .catalog(fromFile.revision)
      .catch((e: unknown) => Promise.reject(runFailure('fetch_failed', e)));
    return { lock: fromFile, catalog };
  }
  const catalog = await d.session.catalog().catch((e: unknown) => Promise.reject(runFailure('fetch_failed', e)));
  const stored = await findStoredLock(d.store, catalog.descriptor);
  if (!stored || stored.revision !== catalog.revision) {
    throw new RunFailure(
      'verify_failed',
      `--locked: source ${name} has no lock (no ${name}.lock.json, and none in the store for its catalog ${catalog.revision})`,
    );
  }
  return { lock: stored, catalog };
}

/**
 * One reconcile run of one source: probe the revision and stop when it is the one last
 * reconciled successfully; fetch and parse the catalog; plan against what is installed from the source;
 * mirror and verify each new or changed entry; install in dependency order; retire what the catalog dropped;
 * write the lock and the run history. The last reconciled revision is kept only when the whole run succeeded,
 * so a failed run is retried in full next time.
 */
export async function reconcileSource(d: RunDeps, o: RunOptions): Promise<RunRecord> {
  const source = d.session.source;
  const now = d.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const mode =
    [o.mirrorOnly ? 'mirror-only' : '', o.offline ? 'offline' : '', o.locked ? 'locked' : '']
      .filter(Boolean)
      .join('+') || 'normal';
  const base = {
    runId: `${startedAt}-${randomBytes(4).toString('hex')}`,
    source: source.name,
    trigger: o.trigger,
    startedAt,
    unsignedAllowed: source.signaturePolicy.kind === 'unsigned-allowed',
    mode,
  };
  const state = await readSourceState(d.paths, source.name);
  const configHash = sourceConfigHash(source);
  let revision = '';
  let packs: RunPack[] = [];
  let lockRevision: string | undefined;
  // a pack waiting for a required attestation: the revision is not recorded, so the next run looks again
  let waiting = false;

  const finish = async (outcome: RunOutcome, failure?: RunFailure): Promise<RunRecord> => {
    const record: RunRecord = {
      ...base,
      endedAt: now().toISOString(),
      revision,
      outcome,
      packs,
      ...(failure ? { code: failure.code, detail: failure.detail } : {}),
      ...(lockRevision ? { lockRevision } : {}),
    };
    const ok = outcome !== 'failed';
    // an interrupted run is not the source's failure: it does not count towards backoff
    const interrupted = failure?.code === 'aborted';
    await updateSourceState(d.paths, source.name, (s) => ({
      ...s,
      lastRunAt: record.endedAt,
      lastOutcome: outcome,
      consecutiveFailures: ok ? 0 : interrupted ? s.consecutiveFailures : s.consecutiveFailures + 1,
      ...(ok ? { lastSuccessAt: record.endedAt } : {}),
      ...(ok && !o.mirrorOnly && !waiting && revision ? { lastRevision: revision, configHash } : {}),
    }));
    await appendRun(d.paths, record);
    return record;
  };

  try {
    let lock: ReconcileLock | undefined;
    let catalog: FetchedCatalog;
    if (o.locked) {
      ({ lock, catalog } = await lockFor(d, source.name));
      lockRevision = lock.revision;
    } else {
      revision = await d.session.probe().catch((e: unknown) => Promise.reject(runFailure('fetch_failed', e)));
      if (!o.force && !o.mirrorOnly && state.lastRevision === revision && state.configHash === configHash)
        return await finish('unchanged');
      if (o.stop?.aborted) throw new RunFailure('aborted', 'stopped before fetching the catalog');
      catalog = await d.session.catalog().catch((e: unknown) => Promise.reject(runFailure('fetch_failed', e)));
    }
    revision = catalog.revision;
    let entries;
    try {
      entries = parseSourceCatalog(catalog.bytes, `${source.name}: ${source.catalogPath} at ${revision}`).packs;
    } catch (e) {
      throw runFailure('parse_failed', e);
    }
    const installed = await listInstalled(d.root);
    const plan = planSource(source.name, entries, installed, lock);
    // --mirror-only fills the store with every entry; otherwise only what is new or changed moves
    const work = o.mirrorOnly ? plan.entries : plan.entries.filter((p) => p.kind === 'install' || p.kind === 'mirror');
    const pulls = new Limiter(o.concurrency ?? REMOTE_CONCURRENCY);
    const installs = o.mirrorOnly
      ? undefined
      : new RunInstalls({
          store: d.store,
          root: d.root,
          source: source.name,
          installed,
          stop: o.stop,
          concurrency: o.concurrency ?? LOCAL_CONCURRENCY,
        });
    // the code between here and finish() is plain bookkeeping: a failure of the mirroring itself still ends the installs
    const prepared = await mapLimit(
      work,
      o.concurrency ?? LOCAL_CONCURRENCY,
      async (p) => {
        const prepare = (): Promise<PrepareResult | undefined> =>
          preparePack(p.entry, {
            store: d.store,
            session: d.session,
            trust: d.trust,
            storePolicy: { policyFile: d.paths.policy, trustDir: d.paths.trust },
            lock,
            signal: o.signal,
          });
        // a pull waiting for a registry slot when a stop comes is not started, as mapLimit starts nothing then
        const r =
          p.entry.artifact.kind !== 'oci'
            ? await prepare()
            : await pulls.run(async () => (o.stop?.aborted ? undefined : prepare()));
        // a pack that depends on nothing installs now, beside the mirroring of the rest
        if (r?.ok && p.kind === 'install') installs?.early({ prepared: r.value, restore: p.reason === 'restore' });
        return r;
      },
      o.stop,
    ).catch(async (e: unknown) => {
      await installs?.close();
      throw e;
    });
    const byEntry = new Map<object, PrepareResult>();
    work.forEach((p, i) => {
      const r = prepared[i];
      if (r) byEntry.set(p.entry, r);
    });
    const toInstall: InstallInput[] = [];
    const results = new Map<object, RunPack>();
    for (const p of plan.entries) {
      const r = byEntry.get(p.entry);
      const e = p.entry;
      if (r !== undefined && !r.ok) results.set(e, r.failure);
      else if (r !== undefined && o.mirrorOnly) {
        const v = r.value.verification;
        results.set(e, {
          id: e.id,
          version: e.version,
          digest: r.value.descriptor.digest,
          outcome: 'mirrored',
          detail: `${v.signer ? `signed by ${v.signer}` : 'not verified (source allows unsigned)'}${attestationsText(v)}`,
        });
      } else if (p.kind === 'conflict')
        results.set(
          e,
          failed(
            e,
            'install_failed',
            new Error(
              `${e.id} is installed from source ${p.record.source}; retire it there (or disable that source) first`,
            ),
            p.record.digest,
          ),
        );
      else if (p.kind === 'manual')
        results.set(e, {
          id: e.id,
          version: e.version,
          digest: p.record.digest,
          outcome: 'unchanged',
          detail: `installed manually (${p.record.status}); left alone`,
        });
      else if (r === undefined) {
        if (p.kind === 'unchanged')
          results.set(e, { id: e.id, version: e.version, digest: p.record.digest, outcome: 'unchanged' });
      } else if (p.kind === 'mirror') {
        const v = r.value.verification;
        results.set(e, {
          id: e.id,
          version: e.version,
          digest: r.value.descriptor.digest,
          outcome: 'mirrored',
          detail: `${v.signer ? `signed by ${v.signer}` : 'not verified (source allows unsigned)'}; ${e.id} ${p.supersededBy} is the version installed`,
        });
      } else if (p.kind === 'install') toInstall.push({ prepared: r.value, restore: p.reason === 'restore' });
    }
    if (installs) {
      for (const rp of await installs.finish(toInstall)) {
        const e = entries.find((x) => x.id === rp.id && x.version === rp.version);
        if (e) results.set(e, rp);
      }
      if (!o.stop?.aborted) {
        const retiredIds = new Set(plan.retire.map((r) => r.id));
        const changes = retiredIds.size
          ? await setStatuses(d.root, (r) => (r.source === source.name && retiredIds.has(r.id) ? 'retired' : undefined))
          : [];
        packs.push(
          ...changes.map((c): RunPack => ({
            id: c.record.id,
            version: c.record.version,
            digest: c.record.digest,
            outcome: 'retired',
            detail: `no longer listed in ${source.catalogPath}`,
          })),
        );
      }
    }
    packs = [...entries.map((e) => results.get(e)).filter((r): r is RunPack => r !== undefined), ...packs];
    const stopped = o.stop?.aborted === true && packs.length < entries.length;
    if (stopped)
      return await finish(
        'failed',
        new RunFailure('aborted', 'stopped by a signal before every pack was handled; the next run starts over'),
      );
    const allOk = packs.every((p) => p.outcome !== 'failed');
    waiting = packs.some((p) => p.outcome === 'pending-review');
    // the lock is of a run that installed everything: a pack still waiting is not locked (nor the run's revision)
    if (allOk && !waiting) {
      const written = await writeRunLock(
        d,
        source,
        revision,
        catalog.descriptor,
        entries,
        packs,
        prepared.filter((r): r is PrepareResult => r !== undefined),
      );
      lockRevision = written?.revision ?? lockRevision;
    }
    return await finish(allOk ? 'success' : 'failed');
  } catch (e) {
    if (e instanceof RunFailure) return finish('failed', e);
    throw e;
  }
}
