import assert from 'node:assert/strict';
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';

/**
 * `scrydon validate PATH`: pack directories, pack.json files and scrydon.yaml catalogs. Every problem is
 * printed as FILE:LINE: key.path: message; exit 1 with error[pack_invalid] / error[catalog_invalid];
 * --json gives {valid, problems[]}.
 */

interface ValidateJson {
  valid: boolean;
  kind: string;
  path: string;
  problems: Array<{ file: string; line?: number; path: string; pointer: string; message: string }>;
}

const CATALOGS = join(FIXTURES, 'catalogs');
const PACKS = join(FIXTURES, 'packs');

after(cleanupTemps);

/** Runs validate --json expecting exit 1 (problems found). */
async function problemsOf(path: string): Promise<ValidateJson> {
  const r = await scrydon(['validate', path, '--json']);
  assert.equal(r.code, 1, `exit 1 for ${path}\n${r.stderr}`);
  return JSON.parse(r.stdout) as ValidateJson;
}

describe('scrydon validate: valid inputs', () => {
  for (const p of ['acme-core', 'acme-fraud', 'acme-payments-integration']) {
    test(`pack directory ${p}`, async () => {
      const r = await ok(['validate', join(PACKS, p)]);
      assert.match(r.stdout, /^valid /);
      const j = await json<ValidateJson>(['validate', join(PACKS, p)]);
      assert.deepEqual(
        { valid: j.valid, kind: j.kind, problems: j.problems },
        { valid: true, kind: 'pack', problems: [] },
      );
    });
  }

  test('a pack.json file and the example catalog', async () => {
    assert.match(
      (await ok(['validate', join(PACKS, 'acme-fraud', 'pack.json')])).stdout,
      /valid .*pack\.json of acme\.fraud 1\.2\.0/,
    );
    assert.match((await ok(['validate', join(CATALOGS, 'scrydon.yaml')])).stdout, /valid .*catalog, 3 packs/);
    const j = await json<ValidateJson>(['validate', join(CATALOGS, 'scrydon.yaml')]);
    assert.equal(j.valid, true);
    assert.equal(j.kind, 'catalog');
  });
});

describe('scrydon validate: catalogs', () => {
  test('a typo: the unknown key and the missing one, each with its line', async () => {
    const file = join(CATALOGS, 'invalid-typo.yaml');
    const r = expectError(await scrydon(['validate', file]), 'catalog_invalid');
    assert.ok(r.stderr.includes(`${file}:5: packs[0]: missing required key 'version'`), r.stderr);
    assert.ok(r.stderr.includes(`${file}:6: packs[0]: unknown key 'verison' (did you mean 'version'?)`), r.stderr);
    assert.equal(r.stdout, '');
    const j = await problemsOf(file);
    assert.equal(j.valid, false);
    assert.deepEqual(
      j.problems.map((p) => [p.line, p.path, p.message]),
      [
        [5, 'packs[0]', "missing required key 'version'"],
        [6, 'packs[0]', "unknown key 'verison' (did you mean 'version'?)"],
      ],
    );
    assert.equal(j.problems[0]?.file, file);
    assert.equal(j.problems[1]?.pointer, '/packs/0');
  });

  test('bad ids, bad versions, a path on an oci artifact', async () => {
    const ids = await problemsOf(join(CATALOGS, 'invalid-id.yaml'));
    assert.deepEqual(
      ids.problems.map((p) => [p.line, p.path]),
      [
        [5, 'packs[0].id'],
        [12, 'packs[1].id'],
      ],
    );
    assert.match(ids.problems[0]?.message ?? '', /"Acme_Fraud" is not a dotted lowercase pack id/);
    const versions = await problemsOf(join(CATALOGS, 'invalid-semver.yaml'));
    assert.deepEqual(
      versions.problems.map((p) => [p.line, p.path]),
      [
        [6, 'packs[0].version'],
        [13, 'packs[1].version'],
      ],
    );
    assert.match(versions.problems[0]?.message ?? '', /must be a string, not the number 1\.2 \(quote it/);
    assert.match(versions.problems[1]?.message ?? '', /"v1\.0" is not a semver version/);
    const oci = await problemsOf(join(CATALOGS, 'invalid-oci-path.yaml'));
    assert.deepEqual(
      oci.problems.map((p) => [p.line, p.path, p.message]),
      [[10, 'packs[0].artifact.path', 'is only allowed for git-tar artifacts (an oci artifact is already packed)']],
    );
  });

  test('every problem of a file with many, in line order', async () => {
    const file = join(CATALOGS, 'invalid-many.yaml');
    const r = expectError(await scrydon(['validate', file]), 'catalog_invalid');
    assert.match(r.stderr, /8 problems/);
    const j = await problemsOf(file);
    assert.deepEqual(
      j.problems.map((p) => `${p.line} ${p.path}`),
      [
        '2 apiVersion',
        '7 packs[0].artifact',
        '12 packs[1]',
        '15 packs[1].artifact.kind',
        '17 packs[1].signature',
        '25 packs[2].artifact.path',
        '26 packs[2].signature',
        '28 packs[2].signature',
      ],
    );
    const text = j.problems.map((p) => p.message).join('\n');
    assert.match(text, /missing required key 'path'/);
    assert.match(text, /acme\.core 1\.0\.0 is listed twice \(also packs\[0\], line 5\)/);
    assert.match(text, /"svn" is not one of: git-tar, oci/);
    assert.match(text, /cosign-keyless needs certificateIdentity or certificateIdentityRegexp/);
    assert.match(text, /unknown key 'publickey' \(did you mean 'publicKey'\?\)/);
  });

  test('YAML syntax errors, duplicate keys, a bad public key, a bad regexp', async () => {
    const dir = await tempDir();
    const syntax = join(dir, 'syntax.yaml');
    await writeFile(
      syntax,
      'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: [1.0.0\n',
    );
    const s = await problemsOf(syntax);
    assert.match(s.problems[0]?.message ?? '', /^YAML syntax: /);
    assert.ok((s.problems[0]?.line ?? 0) >= 5, JSON.stringify(s.problems));
    const dup = join(dir, 'dup.yaml');
    await writeFile(dup, 'apiVersion: scrydon.io/v1\nkind: PackCatalog\nkind: PackCatalog\npacks: []\n');
    const d = await problemsOf(dup);
    assert.equal(d.problems[0]?.line, 3);
    const keys = join(dir, 'keys.yaml');
    await writeFile(
      keys,
      [
        'apiVersion: scrydon.io/v1',
        'kind: PackCatalog',
        'packs:',
        '  - id: acme.core',
        '    version: 1.0.0',
        '    artifact: { kind: oci, ref: "ghcr.io/acme/core:1.0.0" }',
        '    signature:',
        '      kind: cosign-key',
        '      publicKey: "-----BEGIN PUBLIC KEY-----\\nnot base64\\n-----END PUBLIC KEY-----"',
        '  - id: acme.fraud',
        '    version: 1.0.0',
        '    artifact: { kind: git-tar, ref: "--upload-pack=evil", path: packs/fraud }',
        '    signature:',
        '      kind: cosign-keyless',
        '      certificateIdentityRegexp: "https://github.com/acme/(unclosed"',
        '      certificateOidcIssuer: https://token.actions.githubusercontent.com',
        '',
      ].join('\n'),
    );
    const k = await problemsOf(keys);
    assert.deepEqual(
      k.problems.map((p) => `${p.line} ${p.path}`),
      ['9 packs[0].signature.publicKey', '12 packs[1].artifact.ref', '15 packs[1].signature.certificateIdentityRegexp'],
    );
    assert.match(k.problems[1]?.message ?? '', /is not a git branch, tag or commit name/);
  });
});

describe('scrydon validate: pack.json and pack directories', () => {
  const badPackJson = [
    '{',
    '  "schemaVersion": 2,',
    '  "package": {',
    '    "id": "acme",',
    '    "version": "1.0",',
    '    "nmae": "Acme"',
    '  },',
    '  "contents": [',
    '    { "kind": "ontology", "path": "/etc" },',
    '    { "kind": "integration", "path": "integration" },',
    '    { "kind": "spreadsheet", "path": "sheets" }',
    '  ],',
    '  "installOrder": ["ontology", "workflow"],',
    '  "dependencies": { "acme.core": "not a range", "Bad_Id": "^1.0.0" }',
    '}',
  ].join('\n');

  test('a bad pack.json: every problem with FILE:LINE: key.path', async () => {
    const dir = await tempDir();
    const file = join(dir, 'pack.json');
    await writeFile(file, badPackJson);
    const r = expectError(await scrydon(['validate', file]), 'pack_invalid');
    for (const line of [
      `${file}:2: schemaVersion: must be 1, not 2`,
      `${file}:4: package.id: "acme" is not a dotted lowercase pack id (like acme.fraud)`,
      `${file}:5: package.version: "1.0" is not a semver version (like 1.2.0)`,
      `${file}:6: package: unknown key 'nmae' (did you mean 'name'?)`,
      `${file}:9: contents[0].path: "/etc" is not a relative path inside the pack`,
      `${file}:11: contents[2].kind: "spreadsheet" is not one of: ontology, process-flow, workflow, data-source, integration, dashboard`,
      `${file}:14: dependencies: key 'Bad_Id' is not a dotted lowercase pack id (like acme.fraud)`,
    ]) {
      assert.ok(r.stderr.includes(line), `missing: ${line}\n${r.stderr}`);
    }
  });

  test('cross-field rules: installOrder, integration bundles, dependency ranges', async () => {
    const dir = await tempDir();
    const file = join(dir, 'pack.json');
    await writeFile(
      file,
      JSON.stringify(
        {
          schemaVersion: 1,
          package: { id: 'acme.fraud', version: '1.0.0' },
          contents: [
            { kind: 'ontology', path: 'ontology' },
            { kind: 'integration', path: 'integration' },
            { kind: 'ontology', path: 'ontology' },
          ],
          installOrder: ['ontology', 'dashboard'],
          dependencies: { 'acme.core': 'not a range', 'acme.fraud': '^1.0.0' },
        },
        null,
        2,
      ),
    );
    const j = await problemsOf(file);
    const got = j.problems.map((p) => `${p.path}: ${p.message}`);
    assert.ok(
      got.some((g) => g.startsWith('contents[1].path: an integration is a bundle file')),
      got.join('\n'),
    );
    assert.ok(got.includes('contents[2].path: "ontology" is already the path of contents[0]'), got.join('\n'));
    assert.ok(got.includes("installOrder: must list every kind in contents; missing 'integration'"), got.join('\n'));
    assert.ok(got.includes("installOrder: lists 'dashboard', which no contents entry has"), got.join('\n'));
    assert.ok(
      got.includes('dependencies["acme.core"]: "not a range" is not a semver range (like ^1.0.0)'),
      got.join('\n'),
    );
    assert.ok(got.includes('dependencies: the pack depends on itself (acme.fraud)'), got.join('\n'));
    assert.ok(
      j.problems.every((p) => typeof p.line === 'number'),
      'every problem has a line',
    );
  });

  test('JSON syntax errors and duplicate keys have lines', async () => {
    const dir = await tempDir();
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{\n  "schemaVersion": 1,\n  "package": {,\n}\n');
    const b = await problemsOf(broken);
    assert.match(b.problems[0]?.message ?? '', /^JSON syntax: /);
    assert.equal(b.problems[0]?.line, 3);
    const dup = join(dir, 'dup.json');
    await writeFile(dup, '{\n  "schemaVersion": 1,\n  "schemaVersion": 1\n}\n');
    const d = await problemsOf(dup);
    assert.deepEqual(
      d.problems.map((p) => [p.line, p.message]),
      [[3, 'duplicate key (each key may appear once per object)']],
    );
  });

  test('a pack directory: missing content, oversize bundle, unsafe entries, all at once', async () => {
    const dir = join(await tempDir(), 'payments');
    await cp(join(PACKS, 'acme-payments-integration'), dir, { recursive: true });
    await writeFile(
      join(dir, 'integration', 'bundle.tar.gz'),
      Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(8 * 1024 * 1024)]),
    );
    await writeFile(join(dir, '.scrydonignore'), 'dashboards/\n');
    await mkdir(join(dir, 'extra'));
    await symlink('/etc/hostname', join(dir, 'extra', 'host'));
    const r = expectError(await scrydon(['validate', dir]), 'pack_invalid');
    assert.ok(
      r.stderr.includes(`${dir}/extra/host: is a symbolic link to /etc/hostname, outside the pack directory`),
      r.stderr,
    );
    assert.match(
      r.stderr,
      /pack\.json:\d+: contents\[0\]\.path: integration bundle integration\/bundle\.tar\.gz is 8388610 bytes/,
    );
    assert.match(r.stderr, /pack\.json:\d+: contents\[1\]\.path: dashboards does not exist in the pack directory/);
    const j = await problemsOf(dir);
    assert.equal(j.problems.length, 3);
    assert.equal(j.kind, 'pack');
  });

  test('exit codes: a missing path, no path, an unknown file type', async () => {
    expectError(await scrydon(['validate', '/nonexistent/scrydon.yaml']), 'not_found');
    const usage = await scrydon(['validate']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /error\[usage\]/);
    const dir = await tempDir();
    await writeFile(join(dir, 'notes.txt'), 'hello');
    expectError(await scrydon(['validate', join(dir, 'notes.txt')]), 'usage', 2);
  });
});
