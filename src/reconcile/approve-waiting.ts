import { resolve } from 'node:path';
import type { HomePaths } from '../config/paths.js';
import type { Admission } from '../install/admission.js';
import { installPack, type InstallResult } from '../install/install.js';
import { setStatuses } from './lifecycle.js';
import type { Store } from '../store/store-target.js';
import { listSources, readRuns } from './history.js';

/**
 * `scrydon approve ID@VERSION` of a pack a source's last run left waiting (`pending-review`: a required attestation
 * missing, so nothing of it was installed): the explicit review installs the digest that run mirrored and verified,
 * for that source, under the store's own policy (the admission), and makes it active. Undefined when no source's
 * last run left that pack waiting.
 */
interface ApprovedWaiting {
  source: string;
  result: InstallResult;
}

export async function approveWaiting(
  paths: HomePaths,
  rootDir: string,
  id: string,
  version: string,
  o: { store: Store; admission: Admission; signal?: AbortSignal | undefined },
): Promise<ApprovedWaiting | undefined> {
  for (const source of await listSources(paths)) {
    const [last] = await readRuns(paths, source, { limit: 1 });
    const waiting = last?.packs.find((p) => p.id === id && p.version === version && p.outcome === 'pending-review');
    if (!waiting?.digest) continue;
    const root = resolve(rootDir);
    const result = await installPack(o.store, waiting.digest, {
      root,
      source,
      status: 'active',
      admission: o.admission,
      signal: o.signal,
    });
    if (result.record.status !== 'active')
      await setStatuses(root, (r) => (r.id === id && r.digest === waiting.digest ? 'active' : undefined));
    return { source, result };
  }
  return undefined;
}
