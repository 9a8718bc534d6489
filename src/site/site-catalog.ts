import { stringify } from 'yaml';
import { describeProblems } from '../config/locate.js';
import { ScrydonError } from '../errors.js';
import {
  catalogSizeProblems,
  checkCatalogValue,
  type CatalogEntry,
  type PackCatalog,
} from '../sources/catalog-file.js';

/**
 * The catalog publish generates (catalog-spec/publish.md "The generated catalog") and its YAML. It is checked as a
 * value, with the rules `catalog push` applies to a file (schema, entry rules, size), not by parsing the YAML back:
 * on a 500-pack site that parse was a third of a no-change republish. A problem here is scrydon's own bug.
 */
export function generatedCatalog(entries: readonly CatalogEntry[]): { catalog: PackCatalog; bytes: Buffer } {
  // through JSON: the value checked is exactly the plain data the YAML says (no undefined members)
  const catalog = JSON.parse(
    JSON.stringify({ apiVersion: 'scrydon.io/v1', kind: 'PackCatalog', packs: entries }),
  ) as PackCatalog;
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
