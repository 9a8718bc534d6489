import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planKeepVersions } from '../../src/store/gc-keep-versions.js';

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const tag = (ref: string, id: string | null, version: string | null, digest: string) => ({ ref, id, version, digest });

test('one version is one digest: every name of it is kept or untagged together', () => {
  const plan = planKeepVersions(
    [
      tag('a:1.0.0', 'a', '1.0.0', d(1)),
      tag('a:old', 'a', '1.0.0', d(1)),
      tag('reg/x/a:1.0.0', 'a', '1.0.0', d(1)),
      tag('a:2.0.0', 'a', '2.0.0', d(2)),
      tag('a:10.0.0', 'a', '10.0.0', d(3)),
      tag('catalog:x', null, null, d(4)),
    ],
    2,
    new Map(),
  );
  assert.deepEqual(
    plan.versions.map((v) => [v.version, v.keptBecause]),
    [
      ['10.0.0', ['newest 2']],
      ['2.0.0', ['newest 2']],
      ['1.0.0', []],
    ],
  );
  assert.deepEqual(plan.dropped[0]?.refs, ['a:1.0.0', 'a:old', 'reg/x/a:1.0.0']);
});

test('pins keep a version whatever its age; a prerelease is older than its release; ids are separate', () => {
  const plan = planKeepVersions(
    [
      tag('a:1.0.0-rc.1', 'a', '1.0.0-rc.1', d(1)),
      tag('a:1.0.0', 'a', '1.0.0', d(2)),
      tag('a:0.9.0', 'a', '0.9.0', d(3)),
      tag('b:0.1.0', 'b', '0.1.0', d(5)),
    ],
    1,
    new Map([[d(3), ['installed', 'locked by source site']]]),
  );
  assert.deepEqual(
    plan.versions.map((v) => [v.id, v.version, v.keptBecause]),
    [
      ['a', '1.0.0', ['newest 1']],
      ['a', '1.0.0-rc.1', []],
      ['a', '0.9.0', ['installed', 'locked by source site']],
      ['b', '0.1.0', ['newest 1']],
    ],
  );
});

test('two digests claiming one version (a rebuild) are two versions, in a stable order', () => {
  const plan = planKeepVersions([tag('a:1', 'a', '1.0.0', d(7)), tag('a:1b', 'a', '1.0.0', d(6))], 1, new Map());
  assert.deepEqual(
    plan.versions.map((v) => [v.digest, v.keptBecause.length > 0]),
    [
      [d(6), true],
      [d(7), false],
    ],
  );
});
