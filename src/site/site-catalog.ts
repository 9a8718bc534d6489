import { stringify } from 'yaml';
import { describeProblems } from '../config/locate.js';
import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import type { RepositoryTarget } from '../registry/repository-target.js';
import { catalogArtifact, catalogArtifactOfLayer } from '../sources/catalog-artifact.js';
import type { CheckedCatalog } from '../sources/catalog-push.js';
import { catalogKey, knownCatalogLayer, rememberCatalogLayer } from './catalog-memo.js';
import {
  catalogSizeProblems,
  checkCatalogValue,
  type CatalogEntry,
  type PackCatalog,
} from '../sources/catalog-file.js';

/** The file name the catalog layer is titled with (what an oci source reads). */
const CATALOG_TITLE = 'scrydon.yaml';

/**
 * The catalog publish generates (catalog-spec/publish.md "The generated catalog") and its YAML. It is checked as a
 * value, with the rules `catalog push` applies to a file (schema, entry rules, size), not by parsing the YAML back:
 * on a 500-pack site that parse was a third of a no-change republish. A problem here is scrydon's own bug.
 */
export function generatedCatalog(entries: readonly CatalogEntry[]): { catalog: PackCatalog; bytes: Buffer } {
  return checkedYaml(catalogJson(entries));
}

/** The catalog as JSON: the plain data the YAML will say (no undefined members), and the memo's key. */
function catalogJson(entries: readonly CatalogEntry[]): string {
  return JSON.stringify({ apiVersion: 'scrydon.io/v1', kind: 'PackCatalog', packs: entries });
}

function checkedYaml(json: string): { catalog: PackCatalog; bytes: Buffer } {
  const catalog = JSON.parse(json) as PackCatalog;
  const bytes = Buffer.from(stringify(catalog, { lineWidth: 0 }));
  const tooLarge = catalogSizeProblems(bytes.byteLength);
  if (tooLarge.length > 0)
    throw new ScrydonError('catalog_invalid', describeProblems('the generated catalog', tooLarge), {
      hint: 'nodes read a catalog of 1 MiB at most: remove from the store what the site no longer serves (scrydon rm) and publish again',
    });
  const { problems } = checkCatalogValue(catalog);
  if (problems.length > 0)
    throw new ScrydonError('catalog_invalid', describeProblems('the generated catalog', problems), {
      hint: 'a bug in scrydon: the packs were published, the catalog was not; report this message',
    });
  return { catalog, bytes };
}

/**
 * The catalog publish pushes under `tag` of `repo`: when `memo` (catalog-memo.ts) knows the YAML of this exact
 * catalog and the tag names that YAML's artifact, the artifact alone (no YAML made, nothing checked again: one
 * HEAD); else the YAML, checked, and remembered.
 */
export async function siteCatalog(
  entries: readonly CatalogEntry[],
  repo: RepositoryTarget,
  tag: string,
  memo: string | undefined,
  io: IoOptions,
): Promise<CheckedCatalog> {
  const json = catalogJson(entries);
  const key = catalogKey(json);
  const known = memo ? await knownCatalogLayer(memo, key) : undefined;
  if (known) {
    const artifact = catalogArtifactOfLayer(known, CATALOG_TITLE);
    const tagged = await repo.resolve(tag, io).then(
      (d) => d.digest === artifact.descriptor.digest,
      () => false,
    );
    if (tagged) return { artifact, packs: entries.length };
  }
  const { bytes } = checkedYaml(json);
  const artifact = catalogArtifact(bytes, CATALOG_TITLE);
  if (memo) await rememberCatalogLayer(memo, key, artifact.layer);
  return { artifact, packs: entries.length, bytes };
}
