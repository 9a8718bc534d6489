import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { hasDuplicateKey, keyPath, parseJsonText, toPointer } from '../../src/config/locate.js';
import { parseYamlText } from '../../src/config/yaml-locate.js';
import { closest } from '../../src/config/schema.js';
import { checkPackJson, parsePackJsonText, validatePackJson } from '../../src/pack/validate.js';
import { checkCatalogFile, parseCatalogFile } from '../../src/sources/catalog-file.js';

const good = {
  schemaVersion: 1,
  package: { id: 'acme.fraud', version: '1.2.0', name: 'Fraud' },
  contents: [
    { kind: 'ontology', path: 'ontology' },
    { kind: 'integration', path: 'integration/bundle.tar.gz' },
  ],
  installOrder: ['integration', 'ontology'],
  dependencies: { 'acme.core': '^1.0.0' },
};

describe('pack.json', () => {
  test('a valid value passes and is returned', () => {
    assert.deepEqual(checkPackJson(good), []);
    assert.equal(validatePackJson(good, 'x').package.id, 'acme.fraud');
  });

  test('ids: dotted lowercase, two segments at least', () => {
    for (const id of ['acme.fraud', 'acme-corp.fraud-rules', 'a1.b2.c3']) {
      assert.deepEqual(checkPackJson({ ...good, package: { ...good.package, id } }), [], id);
    }
    for (const id of ['acme', 'Acme.fraud', 'acme..fraud', 'acme.fraud.', '-acme.fraud', 'acme_x.fraud', 'acme.-x']) {
      assert.equal(checkPackJson({ ...good, package: { ...good.package, id } }).length, 1, id);
    }
  });

  test('versions: semver only (the schema pattern and the semver package)', () => {
    for (const version of ['1.0.0', '0.3.0-rc.1', '2.0.0+build.5']) {
      assert.deepEqual(checkPackJson({ ...good, package: { ...good.package, version } }), [], version);
    }
    for (const version of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-', '1.99999999999999999.0']) {
      assert.equal(checkPackJson({ ...good, package: { ...good.package, version } }).length, 1, version);
    }
  });

  test('content paths are relative, without . or .. segments', () => {
    for (const path of ['/etc', '../x', 'a/../b', './a', 'a//b', 'a\\b', 'a/', '.', '']) {
      const p = checkPackJson({ ...good, contents: [{ kind: 'ontology', path }, good.contents[1]] });
      assert.ok(
        p.some((x) => x.path === '/contents/0/path'),
        `${JSON.stringify(path)}: ${JSON.stringify(p)}`,
      );
    }
  });

  test('unknown keys are rejected everywhere', () => {
    const p = checkPackJson({
      ...good,
      extra: 1,
      package: { ...good.package, homepage: 'x' },
      contents: [{ ...good.contents[0], tags: [] }, good.contents[1]],
    });
    assert.deepEqual(
      p.map((x) => [keyPath(x.path), x.message]),
      [
        ['', "unknown key 'extra'"],
        ['package', "unknown key 'homepage'"],
        ['contents[0]', "unknown key 'tags'"],
      ],
    );
  });

  test('validatePackJson throws pack_invalid listing every problem', () => {
    try {
      validatePackJson({ ...good, schemaVersion: 3, installOrder: ['ontology'] }, 'layer sha256:abc');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(isScrydonError(e, 'pack_invalid'));
      assert.match(e.message, /^layer sha256:abc: 2 problems\n/);
      assert.match(e.message, /schemaVersion: must be 1, not 3/);
      assert.match(e.message, /installOrder: must list every kind in contents; missing 'integration'/);
    }
  });

  test('parsePackJsonText adds lines', () => {
    const text = JSON.stringify({ ...good, package: { ...good.package, id: 'ACME' } }, null, 2);
    assert.throws(
      () => parsePackJsonText(text, 'pack.json'),
      /package\.id: "ACME" is not a dotted lowercase pack id \(like acme\.fraud\) \(line 4\)/,
    );
    assert.equal(parsePackJsonText('\uFEFF' + JSON.stringify(good), 'x').package.version, '1.2.0');
  });
});

describe('scrydon.yaml', () => {
  const catalog = [
    'apiVersion: scrydon.io/v1',
    'kind: PackCatalog',
    'packs:',
    '  - id: acme.core',
    '    artifact:',
    '      kind: git-tar',
    '    verison: 1.0.0',
    '      ',
  ];

  test('a typo names the key path and the line', () => {
    const text = [
      ...catalog.slice(0, 6),
      '      ref: main',
      '      path: packs/core',
      '    signature: { kind: none }',
      '    verison: 1.0.0',
      '',
    ].join('\n');
    assert.throws(
      () => parseCatalogFile(text, 'scrydon.yaml'),
      (e: unknown) =>
        isScrydonError(e, 'catalog_invalid') &&
        e.message.includes("packs[0]: unknown key 'verison' (did you mean 'version'?) (line 10)"),
    );
  });

  test('a valid catalog parses to typed entries', () => {
    const c = parseCatalogFile(
      'apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks:\n  - id: acme.core\n    version: 1.0.0\n    artifact: { kind: git-tar, ref: main, path: . }\n    signature: { kind: none }\n',
      'x',
    );
    const e = c.packs[0];
    assert.ok(e);
    assert.equal(e.artifact.kind, 'git-tar');
    assert.equal(e.artifact.kind === 'git-tar' ? e.artifact.path : '', '.');
  });

  test('an empty catalog is valid; a missing packs key is not', () => {
    assert.deepEqual(checkCatalogFile('apiVersion: scrydon.io/v1\nkind: PackCatalog\npacks: []\n').problems, []);
    assert.deepEqual(
      checkCatalogFile('apiVersion: scrydon.io/v1\nkind: PackCatalog\n').problems.map((p) => p.message),
      ["missing required key 'packs'"],
    );
  });

  test('alias bombs and non-mapping documents are problems, not crashes', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    ].join('\n');
    assert.ok(checkCatalogFile(bomb).problems.length > 0);
    assert.deepEqual(
      checkCatalogFile('- just\n- a list\n').problems.map((p) => p.message),
      ['must be an object, not an array'],
    );
    assert.ok(checkCatalogFile('a: 1\n---\nb: 2\n').problems[0]?.message.startsWith('YAML syntax'));
  });
});

describe('helpers', () => {
  test('keyPath renders pointers the way people write them', () => {
    assert.equal(keyPath(''), '');
    assert.equal(keyPath('/packs/0/artifact/path'), 'packs[0].artifact.path');
    assert.equal(keyPath(toPointer(['dependencies', 'acme.core'])), 'dependencies["acme.core"]');
    assert.equal(keyPath(toPointer(['a/b', 'c~d'])), '["a/b"]["c~d"]');
  });

  test('hasDuplicateKey: per object, keys compared after unescaping, strings and arrays are not keys', () => {
    assert.equal(hasDuplicateKey('{"a": 1, "b": {"a": 2}}'), false, 'the same key in another object');
    assert.equal(hasDuplicateKey('{"a": 1, "a": 2}'), true);
    assert.equal(hasDuplicateKey('{"ab": 1, "a\\u0062": 2}'), true, 'an escaped spelling of the same key');
    assert.equal(
      hasDuplicateKey('{"a": "a", "b": ["a", "a"], "c": "{\\"a\\": 1, \\"a\\": 2}"}'),
      false,
      'values are not keys',
    );
    assert.equal(hasDuplicateKey('[{"x": 1}, {"x": 2}]'), false);
    assert.equal(hasDuplicateKey('{"k\\"": 1, "k\\"" : 2}'), true, 'escaped quotes inside a key');
    assert.equal(hasDuplicateKey('{"deep": {"list": [{"y": 1, "z": {"y": 2}, "y": 3}]}}'), true);
  });

  test('parseJsonText: a clean text is located lazily, and still exactly', () => {
    const p = parseJsonText('{\n  "a": 1,\n  "b": {\n    "c": true\n  }\n}\n');
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.value, { a: 1, b: { c: true } });
    assert.equal(p.locate('/b/c'), 4);
    assert.equal(p.locate('/a'), 2);
    const d = parseJsonText('{\n  "a": 1,\n  "a": 2\n}');
    assert.equal(d.value, undefined);
    assert.deepEqual(
      d.problems.map((x) => x.line),
      [3],
    );
  });

  test('parseJsonText locates every value and key on the line the YAML parser (an independent reader) gives', () => {
    // odd layouts on purpose: several values per line, escapes, empty containers, nested arrays, a BOM-free CRLF
    const texts = [
      '{\n  "package": {"id": "acme.a", "version": "1.0.0"},\n  "contents": [\n    {"kind": "x", "path": "a/b"},\n    {\n      "kind": "y",\n      "path": "c"\n    }\n  ],\n  "e": {}, "f": [],\n  "k\\"q": [[1, 2], [\n3]]\n}\n',
      '{"a":1,\r\n"b":{"c":\r\n[true,\r\nnull]},"d\\u0041":"x"}',
      '[\n  {"x": 1},\n\n  {"x": 2, "y": {"z": 3}}\n]',
    ];
    for (const text of texts) {
      const ours = parseJsonText(text);
      const theirs = parseYamlText(text);
      assert.deepEqual(ours.problems, []);
      const pointers: Array<[string, string | undefined]> = [['', undefined]];
      const walk = (v: unknown, at: Array<string | number>): void => {
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            pointers.push([toPointer(at), k], [toPointer([...at, k, 'missing']), undefined]);
            walk(x, [...at, k]);
          }
        pointers.push([toPointer(at), undefined], [toPointer(at), 'absent']);
      };
      walk(ours.value, []);
      for (const [ptr, key] of pointers)
        assert.equal(ours.locate(ptr, key), theirs.locate(ptr, key), `${JSON.stringify(text)} ${ptr} ${key ?? ''}`);
    }
    // duplicates: the line of each later key, as the YAML parser reports them
    const dup = '{\n  "a": 1,\n  "b": {"x": 1,\n    "x": 2},\n  "a": 3\n}';
    assert.deepEqual(
      parseJsonText(dup).problems.map((x) => x.line),
      [4, 5],
    );
  });

  test('closest suggests near keys only', () => {
    assert.equal(closest('verison', ['id', 'version', 'artifact']), 'version');
    assert.equal(closest('publickey', ['publicKey', 'kind']), 'publicKey');
    assert.equal(closest('dependecies', ['dependencies']), 'dependencies');
    assert.equal(closest('zzz', ['id', 'version']), undefined);
  });
});
