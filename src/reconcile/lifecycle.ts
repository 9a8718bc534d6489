import { resolve } from 'node:path';
import { ScrydonError } from '../errors.js';
import {
  findRecord,
  readInstallState,
  withInstallState,
  withRecord,
  type InstallRecord,
  type InstallStatus,
} from '../install/state.js';
import { applyAdmission, type Admission } from '../install/admission.js';
import type { Store } from '../store/store-target.js';

/**
 * Status changes of installed packs: retire hides a pack, approve activates a
 * pack waiting for review, a source's run restores what its catalog still lists. Only `installed.json`
 * changes; the installed files and the store's blobs stay (until `uninstall` and `gc`).
 */
export interface StatusChange {
  record: InstallRecord;
  from: InstallStatus;
}

/** Applies `pick` to every record (undefined: no change) in one locked update; returns the changes. */
export async function setStatuses(
  rootDir: string,
  pick: (r: InstallRecord) => InstallStatus | undefined,
): Promise<StatusChange[]> {
  const root = resolve(rootDir);
  const before = await readInstallState(root);
  if (!Object.values(before.packs).some((r) => pick(r) !== undefined && pick(r) !== r.status)) return [];
  return withInstallState(root, async (state, save) => {
    let next = state;
    const changes: StatusChange[] = [];
    for (const r of Object.values(state.packs)) {
      const status = pick(r);
      if (status === undefined || status === r.status) continue;
      const record = { ...r, status };
      next = withRecord(next, record);
      changes.push({ record, from: r.status });
    }
    if (changes.length) await save(next);
    return changes;
  });
}

function notInstalled(id: string, root: string): ScrydonError {
  return new ScrydonError('not_installed', `${id.slice(0, 200)} is not installed in ${root}`, {
    hint: 'list installed packs with scrydon installed',
  });
}

/** `scrydon retire ID`: hides the pack. A source that still lists it brings it back on its next run. */
export async function retirePack(rootDir: string, id: string): Promise<StatusChange | undefined> {
  const root = resolve(rootDir);
  const rec = findRecord(await readInstallState(root), id);
  if (!rec) throw notInstalled(id, root);
  const [change] = await setStatuses(root, (r) => (r.id === id ? 'retired' : undefined));
  return change;
}

/**
 * `scrydon approve ID@VERSION`: a pack installed unsigned by reconcile becomes active, once the store's own policy
 * (the admission: policy.yaml, as for install) admits its digest; a secure policy.yaml is never approved past.
 */
export async function approvePack(
  rootDir: string,
  id: string,
  version: string,
  policy: { store: Store; admission: Admission },
): Promise<StatusChange | undefined> {
  const root = resolve(rootDir);
  const rec = findRecord(await readInstallState(root), id);
  if (!rec) throw notInstalled(id, root);
  if (rec.version !== version) {
    throw new ScrydonError('not_installed', `${id} ${version} is not installed (${id} ${rec.version} is)`, {
      hint: `scrydon approve ${id}@${rec.version}`,
    });
  }
  if (rec.status === 'retired')
    throw new ScrydonError(
      'usage',
      `${id} ${version} is retired; a source that lists it restores it, or scrydon install it`,
    );
  if (rec.status === 'pending-review') await applyAdmission(policy.admission, policy.store, rec.digest);
  const [change] = await setStatuses(root, (r) =>
    r.id === id && r.version === version && r.status === 'pending-review' ? 'active' : undefined,
  );
  return change;
}

/** Retires every pack a source installed (the source was disabled or removed). */
export function retireSourcePacks(rootDir: string, source: string): Promise<StatusChange[]> {
  return setStatuses(rootDir, (r) => (r.source === source ? 'retired' : undefined));
}

/** Makes the installed record of `id` at `digest` belong to `source` with `status` (an install that found the digest already there). */
export async function claimRecord(
  rootDir: string,
  id: string,
  digest: string,
  source: string,
  status: InstallStatus,
): Promise<void> {
  await withInstallState(resolve(rootDir), async (state, save) => {
    const rec = findRecord(state, id);
    if (!rec || rec.digest !== digest || (rec.source === source && rec.status === status)) return;
    await save(withRecord(state, { ...rec, source, status }));
  });
}
