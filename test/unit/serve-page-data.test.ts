import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import type { InstallRecord } from '../../src/install/state.js';
import type { ListEntry } from '../../src/pack/list.js';
import { artifactRows, filterRows, isSigned, parseArtifactQuery } from '../../src/serve/artifact-rows.js';
import { lineDiff } from '../../src/serve/line-diff.js';
import { checkPackPath } from '../../src/serve/pack-file-text.js';
import { sourceSchedule } from '../../src/reconcile/source-schedule.js';

/** The catalog page's pure parts: the list's rows, filters and query; the line diff; which file paths may be asked for. */

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function entry(ref: string, d: string, id: string | null, version: string | null): ListEntry {
  return {
    ref,
    digest: d,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: null,
    id,
    version,
    size: 1,
    created: null,
  };
}

const ENTRIES: ListEntry[] = [
  entry('scrydon.sources/git-abc/acme.fraud:1.2.0', digest('a'), 'acme.fraud', '1.2.0'),
  entry('acme.fraud:stable', digest('a'), 'acme.fraud', '1.2.0'),
  entry('acme.fraud:1.10.0', digest('b'), 'acme.fraud', '1.10.0'),
  entry(`acme.fraud:sha256-${'a'.repeat(64)}.sig`, digest('c'), null, null),
  entry('tools/image:latest', digest('d'), null, null),
  entry('acme.core:1.0.0', digest('e'), 'acme.core', '1.0.0'),
];

const INSTALLED = [{ id: 'acme.fraud', version: '1.2.0', digest: digest('a'), status: 'active' }] as InstallRecord[];

describe('serve: the catalog page data', () => {
  const rows = artifactRows(ENTRIES, INSTALLED, (d) => (d === digest('a') ? 'lab' : 'local'));

  test('one row per digest with its tags and the ID:VERSION it is pulled as; signature tags left out', () => {
    assert.deepEqual(
      rows.map((r) => [r.pullAs, r.tags, r.source, r.install]),
      [
        ['acme.core:1.0.0', ['acme.core:1.0.0'], 'local', 'not-installed'],
        ['acme.fraud:1.10.0', ['acme.fraud:1.10.0'], 'local', 'not-installed'],
        ['acme.fraud:1.2.0', ['scrydon.sources/git-abc/acme.fraud:1.2.0', 'acme.fraud:stable'], 'lab', 'active'],
        ['tools/image:latest', ['tools/image:latest'], 'local', 'not-installed'],
      ],
    );
  });

  test('filters: text in any tag or the digest, id, version, source, install state', () => {
    const pulls = (q: string) => filterRows(rows, parseArtifactQuery(new URLSearchParams(q))).map((r) => r.pullAs);
    assert.deepEqual(pulls('q=GIT-ABC'), ['acme.fraud:1.2.0']);
    assert.deepEqual(pulls(`q=${'e'.repeat(12)}`), ['acme.core:1.0.0']);
    assert.deepEqual(pulls('id=acme.fraud'), ['acme.fraud:1.10.0', 'acme.fraud:1.2.0']);
    assert.deepEqual(pulls('version=1.2.0'), ['acme.fraud:1.2.0']);
    assert.deepEqual(pulls('source=lab'), ['acme.fraud:1.2.0']);
    assert.deepEqual(pulls('status=not-installed&q=acme'), ['acme.core:1.0.0', 'acme.fraud:1.10.0']);
  });

  test('the query: defaults, bounds, signed yes/no; a bad value is usage', () => {
    assert.deepEqual(parseArtifactQuery(new URLSearchParams('')), { offset: 0, limit: 50 });
    assert.equal(parseArtifactQuery(new URLSearchParams('signed=no')).signed, false);
    for (const bad of ['limit=501', 'limit=x', 'offset=-3', 'signed=perhaps', `q=${'x'.repeat(201)}`])
      assert.throws(
        () => parseArtifactQuery(new URLSearchParams(bad)),
        (e) => isScrydonError(e, 'usage'),
        bad,
      );
  });

  test('signed: verified, unverified, or refused for something other than a missing signature', () => {
    assert.equal(isSigned({ status: 'verified', signers: [] }), true);
    assert.equal(isSigned({ status: 'unverified', signers: [], signatures: 1 }), true);
    assert.equal(isSigned({ status: 'failed', signers: [], code: 'key_mismatch' }), true);
    assert.equal(isSigned({ status: 'failed', signers: [], code: 'signature_not_found' }), false);
    assert.equal(isSigned({ status: 'unsigned', signers: [] }), false);
  });

  test('line diff: hunks with three lines of context, both sides numbered', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const b = [...a];
    b[1] = 'line two';
    b.splice(15, 1);
    const d = lineDiff(`${a.join('\n')}\n`, `${b.join('\n')}\n`);
    assert.equal(d.tooLarge, false);
    assert.deepEqual([d.added, d.removed], [1, 2]);
    assert.equal(d.hunks.length, 2);
    assert.deepEqual(d.hunks[0], {
      fromLine: 1,
      toLine: 1,
      lines: [
        { op: ' ', text: 'line 1' },
        { op: '-', text: 'line 2' },
        { op: '+', text: 'line two' },
        { op: ' ', text: 'line 3' },
        { op: ' ', text: 'line 4' },
        { op: ' ', text: 'line 5' },
      ],
    });
    assert.deepEqual(
      d.hunks[1]?.lines.map((l) => l.op + l.text),
      [' line 13', ' line 14', ' line 15', '-line 16', ' line 17', ' line 18', ' line 19'],
    );
    assert.deepEqual([d.hunks[1]?.fromLine, d.hunks[1]?.toLine], [13, 13]);
    assert.deepEqual(lineDiff('same\n', 'same\n').hunks, []);
    assert.deepEqual(
      lineDiff('', 'a\nb\n').hunks[0]?.lines.map((l) => l.op + l.text),
      ['+a', '+b'],
    );
  });

  test('line diff: texts too different or too long are reported, not compared', () => {
    const many = (p: string) => Array.from({ length: 3000 }, (_, i) => `${p}${i}`).join('\n');
    assert.equal(lineDiff(many('a'), many('b')).tooLarge, true);
    assert.equal(lineDiff(many('a'), `${many('a')}\nend`).tooLarge, false, 'a long text with one change is compared');
  });

  test('file paths: only relative paths inside a pack are asked for', () => {
    for (const ok of ['pack.json', 'workflows/scripts/score.sh', 'a..b/c']) checkPackPath(ok);
    for (const bad of [
      '',
      '../../etc/passwd',
      '/etc/passwd',
      'a/../b',
      './a',
      'a//b',
      'a\\b',
      'a\u0000b',
      'x'.repeat(1025),
    ])
      assert.throws(
        () => checkPackPath(bad),
        (e) => isScrydonError(e, 'usage'),
        JSON.stringify(bad),
      );
  });
});

describe('source schedule (source show, /api/sources)', () => {
  const state = (consecutiveFailures: number) => ({
    schemaVersion: 1 as const,
    source: 'lab',
    consecutiveFailures,
    lastRunAt: '2026-01-01T00:00:00.000Z',
  });
  const s = { intervalMs: 300_000, enabled: true };

  test('under three failures in a row: the interval; from three on: doubled (capped at an hour)', () => {
    assert.deepEqual(sourceSchedule(s, state(2), 0), {
      backoff: { consecutiveFailures: 2, backingOff: false, effectiveIntervalMs: 300_000 },
      nextRunAt: '2026-01-01T00:05:00.000Z',
    });
    assert.deepEqual(sourceSchedule(s, state(3), 0), {
      backoff: { consecutiveFailures: 3, backingOff: true, effectiveIntervalMs: 600_000 },
      nextRunAt: '2026-01-01T00:10:00.000Z',
    });
    assert.equal(
      sourceSchedule({ intervalMs: 3_000_000, enabled: true }, state(5), 0).backoff.effectiveIntervalMs,
      3_600_000,
    );
  });

  test('a disabled source has no next run', () => {
    assert.equal(sourceSchedule({ ...s, enabled: false }, state(0), 0).nextRunAt, null);
  });
});
