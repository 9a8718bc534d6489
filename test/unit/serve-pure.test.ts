import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { isLoopbackHost, parseListenAddress, urlOf } from '../../src/serve/address.js';
import { BasicAuth, basicCredentials, parseHtpasswd } from '../../src/serve/htpasswd.js';
import { isRepositoryName, servedName } from '../../src/names/served.js';
import { diffPackFiles, type PackFiles } from '../../src/serve/pack-files.js';
import { parseRange } from '../../src/serve/range.js';
import { parseRegistryPath } from '../../src/serve/routes.js';
import { have } from '../helpers/cli.js';

describe('serve: pure parts', () => {
  test('store tags map to repository and tag', () => {
    assert.deepEqual(servedName('ghcr.io/acme/fraud:1.2.0'), { repository: 'ghcr.io/acme/fraud', tag: '1.2.0' });
    assert.deepEqual(servedName('acme.fraud:1.2.0'), { repository: 'acme.fraud', tag: '1.2.0' });
    assert.deepEqual(servedName('registry.local:5000/mirror/fraud:1.2.0'), {
      repository: 'registry.local_5000/mirror/fraud',
      tag: '1.2.0',
    });
    assert.deepEqual(servedName('localhost:5000/x:1'), { repository: 'localhost_5000/x', tag: '1' });
    assert.deepEqual(servedName('Registry.Example.COM/a/b:v1'), { repository: 'registry.example.com/a/b', tag: 'v1' });
    assert.equal(servedName('[::1]:5000/x:1'), undefined);
    assert.ok(isRepositoryName('a/b.c/d-e_f'));
    assert.ok(!isRepositoryName('A/b') && !isRepositoryName('a//b') && !isRepositoryName('a:1/b'));
  });

  test('Range: single ranges, suffixes, open ends; 416 past the end; anything else is the whole blob', () => {
    assert.deepEqual(parseRange(undefined, 100), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-500', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=100-', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 100), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-1,5-6', 100), { kind: 'full' });
    assert.deepEqual(parseRange('bytes=9-3', 100), { kind: 'full' });
    assert.deepEqual(parseRange('items=0-1', 100), { kind: 'full' });
  });

  test('registry paths', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseRegistryPath('/v2/'), { kind: 'base' });
    assert.deepEqual(parseRegistryPath('/v2'), { kind: 'base' });
    assert.deepEqual(parseRegistryPath('/v2/_catalog'), { kind: 'catalog' });
    assert.deepEqual(parseRegistryPath('/v2/ghcr.io/acme/fraud/manifests/1.2.0'), {
      kind: 'manifest',
      name: 'ghcr.io/acme/fraud',
      reference: '1.2.0',
    });
    assert.deepEqual(parseRegistryPath(`/v2/a/blobs/${d}`), { kind: 'blob', name: 'a', digest: d });
    assert.deepEqual(parseRegistryPath(`/v2/a/blobs/sha256%3A${'a'.repeat(64)}`), {
      kind: 'blob',
      name: 'a',
      digest: d,
    });
    assert.deepEqual(parseRegistryPath('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
    assert.deepEqual(parseRegistryPath(`/v2/a/referrers/${d}`), { kind: 'referrers', name: 'a', digest: d });
    assert.deepEqual(parseRegistryPath('/v2/a/blobs/uploads/'), { kind: 'upload', name: 'a' });
    assert.deepEqual(parseRegistryPath('/v2/a/blobs/uploads/123'), { kind: 'upload', name: 'a' });
    assert.deepEqual(parseRegistryPath('/v2/a/manifests/'), { kind: 'unknown' });
    assert.equal(parseRegistryPath('/api/packs'), undefined);
    assert.equal(parseRegistryPath('/v2x'), undefined);
  });

  test('listen addresses and loopback', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
    assert.deepEqual(parseListenAddress(':5000'), { host: '', port: 5000 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress('localhost:8080'), { host: 'localhost', port: 8080 });
    for (const bad of ['127.0.0.1', '127.0.0.1:99999', '[nope]:1', 'a b:1', '::1:5000']) {
      assert.throws(
        () => parseListenAddress(bad),
        (e) => isScrydonError(e, 'usage'),
        bad,
      );
    }
    assert.ok(
      isLoopbackHost('127.0.0.1') &&
        isLoopbackHost('127.1.2.3') &&
        isLoopbackHost('::1') &&
        isLoopbackHost('localhost'),
    );
    assert.ok(
      !isLoopbackHost('0.0.0.0') && !isLoopbackHost('::') && !isLoopbackHost('10.0.0.1') && !isLoopbackHost(''),
    );
    assert.equal(urlOf('https', '::1', 5000), 'https://[::1]:5000');
  });

  test(
    'htpasswd: bcrypt only; Basic credentials checked',
    { skip: !have('htpasswd') && 'htpasswd is not installed' },
    async () => {
      const line = spawnSync('htpasswd', ['-nbB', 'alice', 'pa:ss word'], { encoding: 'utf8' }).stdout.trim();
      const auth = new BasicAuth(parseHtpasswd(`# site users\n${line}\n\n`, 'users'));
      const header = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      assert.deepEqual(basicCredentials(header('alice', 'pa:ss word')), { user: 'alice', password: 'pa:ss word' });
      assert.equal(await auth.check(header('alice', 'pa:ss word')), true);
      assert.equal(await auth.check(header('alice', 'pa:ss word')), true, 'remembered');
      assert.equal(await auth.check(header('alice', 'wrong')), false);
      assert.equal(await auth.check(header('bob', 'pa:ss word')), false);
      assert.equal(await auth.check(undefined), false);
      assert.equal(await auth.check('Bearer x'), false);
      assert.throws(
        () => parseHtpasswd('alice:{SHA}abc=\n', 'f'),
        (e) => isScrydonError(e, 'htpasswd_invalid'),
      );
      assert.throws(
        () => parseHtpasswd('# nobody\n', 'f'),
        (e) => isScrydonError(e, 'htpasswd_invalid'),
      );
    },
  );

  test('pack file diff', () => {
    const f = (path: string, sha256: string, size = 1, mode = 0o644) => ({ path, size, mode, sha256 });
    const a: PackFiles = {
      id: 'p',
      version: '1',
      digest: 'sha256:a',
      files: [f('keep', 'k'), f('edit', 'e1'), f('gone', 'g'), f('chmod', 'c')],
    };
    const b: PackFiles = {
      id: 'p',
      version: '2',
      digest: 'sha256:b',
      files: [f('keep', 'k'), f('edit', 'e2'), f('new', 'n'), f('chmod', 'c', 1, 0o755)],
    };
    const d = diffPackFiles(a, b);
    assert.deepEqual(
      d.added.map((x) => x.path),
      ['new'],
    );
    assert.deepEqual(
      d.removed.map((x) => x.path),
      ['gone'],
    );
    assert.deepEqual(
      d.changed.map((x) => x.path),
      ['chmod', 'edit'],
    );
    assert.equal(d.unchanged, 1);
    assert.throws(
      () => diffPackFiles(a, { ...b, id: 'q' }),
      (e) => isScrydonError(e, 'usage'),
    );
  });
});
