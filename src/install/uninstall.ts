import { rename, rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ScrydonError } from '../errors.js';
import {
  assertSafeSegment,
  findRecord,
  readInstallState,
  withInstallState,
  withoutRecord,
  type InstallRecord,
} from './state.js';
import { byCodeUnits } from '../text-order.js';
import { removeDeadScratch, scratchName } from './leftovers.js';

function notInstalled(id: string, root: string): ScrydonError {
  return new ScrydonError('not_installed', `${id.slice(0, 200)} is not installed in ${root}`, {
    hint: 'list installed packs with scrydon installed',
  });
}

/**
 * Removes an installed pack: its directory is moved aside and its record dropped under the state lock,
 * then the moved directory is deleted. A crash leaves at worst a `.trash-*` directory (removed by the next install
 * or uninstall), never half a pack.
 */
export async function uninstallPack(rootDir: string, id: string): Promise<InstallRecord> {
  const root = resolve(rootDir);
  // checked first without the lock, so a mistyped id creates nothing (the lock would create the root)
  if (!findRecord(await readInstallState(root), id)) throw notInstalled(id, root);
  const { record, trash } = await withInstallState(root, async (state, save) => {
    const rec = findRecord(state, id);
    if (!rec) throw notInstalled(id, root);
    assertSafeSegment(rec.id, 'pack id');
    assertSafeSegment(rec.version, 'pack version');
    const dir = join(root, rec.id, rec.version);
    const moved = scratchName(root, 'trash');
    const hadDir = await rename(dir, moved).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      },
    );
    try {
      await save(withoutRecord(state, id));
    } catch (e) {
      if (hadDir) await rename(moved, dir);
      throw e;
    }
    return { record: rec, trash: hadDir ? moved : undefined };
  });
  if (trash) await rm(trash, { recursive: true, force: true });
  await removeDeadScratch(root);
  await rmdir(join(root, record.id)).catch(() => undefined);
  return record;
}

/** Installed packs, sorted by id. */
export async function listInstalled(rootDir: string): Promise<InstallRecord[]> {
  const state = await readInstallState(resolve(rootDir));
  return Object.values(state.packs).sort((a, b) => byCodeUnits(a.id, b.id));
}
