import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { isFallbackTag, parseReference } from '../oci/reference.js';
import { readIndex, updateIndex } from './index-file.js';
import type { LayoutPaths } from './layout.js';
import { migratedPinName } from '../names/store.js';

/**
 * Artifacts pulled or mirrored by digest alone are kept under `REPOSITORY@sha256:<hex>` (a valid image-layout
 * ref.name: `@` is in its separator set). A tag can never contain `@`, so such a name cannot collide with the
 * referrers fallback tag `sha256-<hex>` or cosign's `sha256-<hex>.sig|.att|.sbom`, which earlier versions used
 * for it (`REPOSITORY:sha256-<hex>`: `push --all` then wrote a pack manifest over a registry's fallback index).
 */

/** Marks a store whose old pin names are renamed, so no later command reads index.json for it again. */
const MIGRATED = 'scrydon-pins-migrated';

/** Marks a store as holding no old pin names: a new store (Store.open), or one whose names were just renamed. */
export async function markPinsMigrated(paths: LayoutPaths): Promise<void> {
  await writeFileAtomic(join(paths.root, MIGRATED), '').catch(() => undefined);
}

/**
 * Renames a store's old pin names (`REPO:sha256-<hex>` of that very digest) to `REPO@sha256:<hex>`, once, under
 * the index lock, and marks the store done (a file beside index.json; a store that cannot be written is simply
 * looked at again next time). A store with nothing to rename is left exactly as it is (a refused command changes
 * nothing), so a store made by an earlier version without old names keeps being looked at, one parse of
 * index.json that the command's own reads share. Returns how many were renamed.
 */
export async function migratePinNames(paths: LayoutPaths): Promise<number> {
  const marker = join(paths.root, MIGRATED);
  if (
    await access(marker).then(
      () => true,
      () => false,
    )
  )
    return 0;
  const renamed = await renamePinNames(paths);
  if (renamed > 0) await markPinsMigrated(paths);
  return renamed;
}

async function renamePinNames(paths: LayoutPaths): Promise<number> {
  const stale = (idx: Awaited<ReturnType<typeof readIndex>>) =>
    idx.manifests.filter((m) => {
      const ref = m.annotations?.[Annotation.refName];
      return ref !== undefined && migratedPinName(ref, m.digest) !== undefined;
    });
  if (stale(await readIndex(paths)).length === 0) return 0;
  return updateIndex(paths, (idx) => {
    const old = new Set(stale(idx));
    if (old.size === 0) return { result: 0 };
    const taken = new Set(idx.manifests.map((m) => m.annotations?.[Annotation.refName]));
    const manifests = idx.manifests.flatMap((m) => {
      if (!old.has(m)) return [m];
      const name = migratedPinName(m.annotations?.[Annotation.refName] ?? '', m.digest) ?? '';
      // the new name may already be there (pulled again by a newer version): the old entry just goes
      return taken.has(name) ? [] : [{ ...m, annotations: { ...m.annotations, [Annotation.refName]: name } }];
    });
    return { index: { ...idx, manifests }, result: old.size };
  });
}

/**
 * A new store name may not be a referrers fallback tag (`REPO:sha256-<hex>` of another digest): pushed, it would
 * overwrite a registry's referrers index. (Of its own digest it is an old pin name, which storeRefName renamed.)
 */
export function assertTaggable(name: string, mediaType: string): void {
  let tag: string | undefined;
  try {
    tag = parseReference(name).tag;
  } catch {
    return; // a name another tool wrote, addressed exactly: no tag grammar to check
  }
  if (tag !== undefined && isFallbackTag(tag) && mediaType !== MediaType.ociIndex) {
    throw new ScrydonError(
      'invalid_reference',
      `${name}: a tag of the form sha256-<hex> is where registries keep referrers (signatures); a ${mediaType} may not be named so`,
      {
        hint: 'choose another tag; an artifact kept by digest is named REPO@sha256:<hex>',
      },
    );
  }
}
