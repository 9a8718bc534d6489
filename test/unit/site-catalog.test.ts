import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { generatedCatalog, siteCatalog } from '../../src/site/site-catalog.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import type { RepositoryTarget } from '../../src/registry/repository-target.js';
import { tempDir, cleanupTemps } from '../helpers/cli.js';
import { join } from 'node:path';
import { checkCatalogFile, type CatalogEntry } from '../../src/sources/catalog-file.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
const entry = (i: number, signature: CatalogEntry['signature']): CatalogEntry => ({
  id: `acme.p${i}`,
  version: '1.0.0',
  artifact: { kind: 'oci', ref: `registry.site:5000/packs/acme.p${i}:1.0.0@sha256:${'a'.repeat(64)}` },
  signature,
});

test("publish's catalog, checked as a value, is what its YAML parses to and passes the file checks", () => {
  const entries = [
    entry(1, { kind: 'cosign-key', publicKey: String(pem) }),
    entry(2, { kind: 'none' }),
    entry(3, {
      kind: 'cosign-keyless',
      certificateIdentity: 'https://github.com/acme/packs/.github/workflows/release.yml@refs/heads/main',
      certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
    }),
  ];
  const { catalog, bytes } = generatedCatalog(entries);
  const fromText = checkCatalogFile(bytes.toString('utf8'));
  assert.deepEqual(fromText.problems, []);
  assert.deepEqual(fromText.value, catalog);
});

test('a generated catalog the file checks refuse is catalog_invalid, never pushed as is', () => {
  const twice = [entry(1, { kind: 'none' }), entry(1, { kind: 'none' })];
  assert.throws(
    () => generatedCatalog(twice),
    (e: unknown) => isScrydonError(e) && e.code === 'catalog_invalid' && /listed twice/.test(e.message),
  );
  const many = Array.from({ length: 8000 }, (_, i) => entry(i, { kind: 'cosign-key', publicKey: String(pem) }));
  assert.throws(
    () => generatedCatalog(many),
    (e: unknown) => isScrydonError(e) && e.code === 'catalog_invalid' && /byte limit/.test(e.message),
  );
});

after(cleanupTemps);

test('a republish whose catalog the memo knows and the tag names makes no YAML; any other gets it made and checked', async () => {
  const memo = join(await tempDir(), 'state', 'publish-catalogs.json');
  const entries = [entry(1, { kind: 'cosign-key', publicKey: String(pem) }), entry(2, { kind: 'none' })];
  let tagged: Descriptor | undefined;
  const repo = {
    resolve: () => (tagged ? Promise.resolve(tagged) : Promise.reject(new Error('no tag'))),
  } as unknown as RepositoryTarget;
  const first = await siteCatalog(entries, repo, 'catalog', memo, {});
  assert.ok(first.bytes, 'nothing known: the YAML is made');
  assert.deepEqual(first.bytes, generatedCatalog(entries).bytes);
  tagged = first.artifact.descriptor;
  const again = await siteCatalog(entries, repo, 'catalog', memo, {});
  assert.equal(again.bytes, undefined, 'known and tagged: no YAML');
  assert.deepEqual(again.artifact, first.artifact);
  const changed = await siteCatalog([entry(1, { kind: 'none' })], repo, 'catalog', memo, {});
  assert.ok(changed.bytes, 'another catalog: made');
  tagged = { ...first.artifact.descriptor, digest: `sha256:${'b'.repeat(64)}` };
  const moved = await siteCatalog(entries, repo, 'catalog', memo, {});
  assert.ok(moved.bytes, 'known, but the tag names something else: made again');
  const noMemo = await siteCatalog(entries, repo, 'catalog', undefined, {});
  assert.ok(noMemo.bytes);
});
