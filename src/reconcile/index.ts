/** The reconciler: one run per source, change detection, decisions, lock, lifecycle, backoff, watch, run history. */
export { reconcileSource, type RunDeps, type RunOptions } from './run-source.js';
export { reconcileSources, type ReconcileSourcesDeps } from './reconcile-sources.js';
export { acquireReconcileLock } from './store-lock.js';
export { watch, dueTimes, type WatchDeps } from './watch.js';
export { planSource, type EntryPlan, type SourcePlan } from './plan.js';
export { orderByDependencies, type DepNode, type DepOrder } from './deps.js';
export { storeDependencies, type StoreDependencies } from './store-deps.js';
export { signatureDecision, sourceSecurityPolicy, verifyPack, type PackVerification, type SignatureDecision } from './verify-pack.js';
export { BACKOFF_AFTER_FAILURES, BACKOFF_CAP_MS, effectiveIntervalMs, isBackingOff, nextRunAt } from './backoff.js';
export { approvePack, claimRecord, retirePack, retireSourcePacks, setStatuses, type StatusChange } from './lifecycle.js';
export { findStoredLock, parseLock, readLockFile, storeLock, writeLockFile, type LockedPack, type ReconcileLock } from './lock-file.js';
export { invalidateRevision, readSourceState, removeSourceState, sourceLockPath, sourceStatePath, updateSourceState, type SourceState } from './source-state.js';
export { appendRun, listSources, readRuns, type RunPack, type RunRecord, type RunTrigger } from './history.js';
