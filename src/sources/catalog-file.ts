import { createPublicKey } from 'node:crypto';
import semver from 'semver';
import { ScrydonError } from '../errors.js';
import { parseReference } from '../oci/reference.js';
import { describeProblems, noLocator, sortProblems, toPointer, type Locator, type Problem } from '../config/locate.js';
import { parseYamlText } from '../config/yaml-locate.js';
import { schemaProblems } from '../config/schema.js';
import { validate as catalogSchema } from '../config/validators/catalog.js';
import type { KeySigner, KeylessSigner } from '../config/policy.js';

/**
 * scrydon.yaml, a source's catalog (`apiVersion: scrydon.io/v1`, `kind: PackCatalog`): parsed with line
 * positions, checked against catalog-spec/scrydon-catalog.schema.json and the rules a schema cannot state.
 * Untrusted input: bounded in size, aliases bounded, unknown keys rejected.
 */
export type ArtifactSpec = { kind: 'git-tar'; ref: string; path: string } | { kind: 'oci'; ref: string };

export type SignatureSpec = KeylessSigner | KeySigner | { kind: 'none' };

export interface CatalogEntry {
  id: string;
  version: string;
  artifact: ArtifactSpec;
  signature: SignatureSpec;
}

export interface PackCatalog {
  apiVersion: 'scrydon.io/v1';
  kind: 'PackCatalog';
  packs: CatalogEntry[];
}

/** Largest scrydon.yaml accepted. */
export const CATALOG_FILE_MAX_BYTES = 1024 * 1024;

/** Parses and checks catalog text. `value` is set only when there are no problems. */
export function checkCatalogFile(text: string): { value: PackCatalog | undefined; problems: Problem[] } {
  const tooLarge = catalogSizeProblems(Buffer.byteLength(text));
  if (tooLarge.length > 0) return { value: undefined, problems: tooLarge };
  const parsed = parseYamlText(text);
  if (parsed.problems.length > 0) return { value: undefined, problems: parsed.problems };
  return checkCatalogValue(parsed.value, parsed.locate);
}

/** The size rule: a catalog file of `bytes` bytes is over the limit nodes read. */
export function catalogSizeProblems(bytes: number): Problem[] {
  return bytes > CATALOG_FILE_MAX_BYTES
    ? [{ path: '', message: `is over the ${CATALOG_FILE_MAX_BYTES}-byte limit for a catalog file` }]
    : [];
}

/**
 * The checks of checkCatalogFile after parsing (the schema and the rules it cannot state) on a value in hand: a
 * catalog publish generated is checked as it is built, not parsed back from the YAML made of it.
 */
export function checkCatalogValue(
  root: unknown,
  locate: Locator = noLocator,
): { value: PackCatalog | undefined; problems: Problem[] } {
  const problems = schemaProblems(catalogSchema, root, locate);
  const fromSchema = [...problems];
  const add = (path: string, message: string): void => {
    if (fromSchema.some((p) => p.path === path)) return;
    const line = locate(path);
    problems.push({ path, ...(line !== undefined ? { line } : {}), message });
  };
  if (isRecord(root) && Array.isArray(root.packs)) entryRules(root.packs as unknown[], add, locate);
  const sorted = sortProblems(problems);
  return { value: sorted.length === 0 ? (root as PackCatalog) : undefined, problems: sorted };
}

/** Parses scrydon.yaml; throws `catalog_invalid` naming every problem's key path and line. */
export function parseCatalogFile(text: string, source: string): PackCatalog {
  const { value, problems } = checkCatalogFile(text);
  if (value === undefined) {
    throw new ScrydonError('catalog_invalid', describeProblems(source, problems), {
      hint: 'fix the catalog (the format is catalog-spec/scrydon-catalog.schema.json); scrydon validate FILE lists every problem',
    });
  }
  return value;
}

function entryRules(packs: readonly unknown[], add: (path: string, message: string) => void, locate: Locator): void {
  const seen = new Map<string, number>();
  // whether each distinct PEM parses (a site's catalog names one key in every entry: parsed once, not 500 times)
  const pems = new Map<string, boolean>();
  const parses = (pem: string): boolean => {
    let ok = pems.get(pem);
    if (ok === undefined) {
      try {
        createPublicKey(pem);
        ok = true;
      } catch {
        ok = false;
      }
      pems.set(pem, ok);
    }
    return ok;
  };
  packs.forEach((e, i) => {
    if (!isRecord(e)) return;
    const at = (...rest: Array<string | number>): string => toPointer(['packs', i, ...rest]);
    if (typeof e.version === 'string' && semver.valid(e.version) === null) {
      add(at('version'), `${JSON.stringify(e.version)} is not a semver version the semver package accepts`);
    }
    if (typeof e.id === 'string' && typeof e.version === 'string') {
      const key = `${e.id}@${e.version}`;
      const first = seen.get(key);
      if (first !== undefined) {
        const line = locate(toPointer(['packs', first]));
        add(
          at(),
          `${e.id} ${e.version} is listed twice (also packs[${first}]${line !== undefined ? `, line ${line}` : ''})`,
        );
      } else seen.set(key, i);
    }
    const artifact = isRecord(e.artifact) ? e.artifact : {};
    if (artifact.kind === 'oci' && typeof artifact.ref === 'string') {
      try {
        const r = parseReference(artifact.ref);
        if (!r.repository)
          add(at('artifact', 'ref'), 'names only a digest; give the repository too (REGISTRY/REPO@sha256:...)');
      } catch (err) {
        add(at('artifact', 'ref'), `is not an image reference: ${(err as Error).message}`);
      }
    }
    const sig = isRecord(e.signature) ? e.signature : {};
    for (const k of ['certificateIdentityRegexp', 'certificateOidcIssuerRegexp']) {
      const re = sig[k];
      if (typeof re !== 'string') continue;
      try {
        new RegExp(re, 'u');
      } catch (err) {
        add(at('signature', k), `is not a valid regular expression (${(err as Error).message})`);
      }
    }
    if (sig.kind === 'cosign-key' && typeof sig.publicKey === 'string' && !parses(sig.publicKey))
      add(at('signature', 'publicKey'), 'does not parse as a PEM public key');
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
