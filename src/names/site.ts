import { ScrydonError } from '../errors.js';
import { parseRemoteReference, type RemoteReference } from './remote.js';

/**
 * Names in a site registry (catalog-spec/publish.md): `publish REGISTRY/PREFIX` puts pack `ID` version `V` at
 * `REGISTRY/PREFIX/ID:V`, the generated catalog at `REGISTRY/PREFIX/catalog:TAG` and the trusted root at
 * `REGISTRY/PREFIX/scrydon.trust:<12 hex>`. Store names (a source's `scrydon.sources/…` repository, the registry a
 * pack was pulled from) never reach the site: only the pack's own id and version do.
 */
export interface SitePrefix {
  registry: string;
  /** The repository path under the registry, without a trailing slash. */
  path: string;
}

/** Parses `REGISTRY/PREFIX` (no tag, no digest). */
export function parseSitePrefix(input: string): SitePrefix {
  const trimmed = input.replace(/\/+$/, '');
  let r: RemoteReference;
  try {
    r = parseRemoteReference(`${trimmed}/catalog`);
  } catch (e) {
    throw new ScrydonError('invalid_reference', `"${input}" is not REGISTRY/PREFIX`, {
      cause: e,
      hint: 'give the registry and a repository prefix, e.g. registry.site:5000/packs',
    });
  }
  if (r.tag !== undefined || r.digest !== undefined || !trimmed.includes('/'))
    throw new ScrydonError('invalid_reference', `"${input}" is not REGISTRY/PREFIX`, {
      hint: 'give the registry and a repository prefix, e.g. registry.site:5000/packs (no tag, no digest)',
    });
  return { registry: r.registry, path: r.repository.slice(0, -'/catalog'.length) };
}

function under(p: SitePrefix, name: string): RemoteReference {
  return { registry: p.registry, repository: `${p.path}/${name}` };
}

/** Where pack `id` lives in the site registry. */
export function sitePackRepository(p: SitePrefix, id: string): RemoteReference {
  return under(p, id);
}

/** The generated catalog's repository (its tag is publish's `--tag`, default `catalog`). */
export function siteCatalogRepository(p: SitePrefix): RemoteReference {
  return under(p, 'catalog');
}

/** The trusted root's repository. */
export function siteTrustRepository(p: SitePrefix): RemoteReference {
  return under(p, 'scrydon.trust');
}

/** A pack version as a tag: semver's `+build` becomes `_build` (`+` is not allowed in a tag; Helm does the same). */
export function siteTag(version: string): string {
  const tag = version.replace('+', '_');
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag))
    throw new ScrydonError('invalid_reference', `version ${version} cannot be a registry tag (over 128 characters)`);
  return tag;
}
