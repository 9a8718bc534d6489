import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { gitCatalogArtifact } from '../../src/sources/catalog-artifact.js';
import { basicAuthHeader, gitConfigFor } from '../../src/sources/git-access.js';
import { pickRemoteRef } from '../../src/sources/git-repo.js';
import { maskSecrets } from '../../src/sources/git-run.js';
import { checkCredential, gitUrlKind, resolveSource, sourceConfigHash } from '../../src/sources/source-spec.js';
import { encodeSourceList, parseSourceList } from '../../src/sources/sources-file.js';
import { ociCatalogReference, catalogStoreTag, gitPackTag } from '../../src/names/sources.js';

/** Source configuration (pure): defaults, URL kinds, credentials, git's environment, store names of catalogs. */

const unsigned = { kind: 'unsigned-allowed' } as const;

describe('source specs', () => {
  test('defaults and URL kinds', () => {
    const g = resolveSource({
      name: 'g',
      type: 'git',
      url: 'https://git.example/acme/packs.git/',
      signaturePolicy: unsigned,
    });
    assert.deepEqual(
      [g.ref, g.catalogPath, g.interval, g.intervalMs, g.enabled, g.url],
      ['main', 'scrydon.yaml', '5m', 300_000, true, 'https://git.example/acme/packs.git'],
    );
    const o = resolveSource({
      name: 'o',
      type: 'oci',
      url: 'oci://ghcr.io/acme/scrydon-catalog',
      signaturePolicy: unsigned,
    });
    assert.equal(o.ref, 'catalog');
    assert.equal(ociCatalogReference(o), 'ghcr.io/acme/scrydon-catalog:catalog');
    assert.equal(
      ociCatalogReference({ url: 'ghcr.io/a/b', ref: `sha256:${'a'.repeat(64)}` }),
      `ghcr.io/a/b@sha256:${'a'.repeat(64)}`,
    );
    assert.deepEqual(
      ['git@github.com:acme/p.git', 'ssh://git@h/p', 'file:///srv/p', 'https://h/p', 'http://h/p'].map(gitUrlKind),
      ['ssh', 'ssh', 'file', 'https', 'http'],
    );
    for (const bad of ['/srv/p', 'ext::sh -c id', '-uhttps://x', 'ftp://h/p'])
      assert.throws(
        () => gitUrlKind(bad),
        (e) => isScrydonError(e, 'usage'),
      );
  });

  test('the config hash changes with what a run depends on, not with the interval', () => {
    const a = resolveSource({ name: 'a', type: 'git', url: 'file:///r', signaturePolicy: unsigned });
    assert.equal(sourceConfigHash(a), sourceConfigHash({ ...a, interval: '1h', intervalMs: 3_600_000 }));
    assert.notEqual(sourceConfigHash(a), sourceConfigHash({ ...a, ref: 'dev' }));
    assert.notEqual(
      sourceConfigHash(a),
      sourceConfigHash({ ...a, signaturePolicy: { kind: 'cosign-key', publicKey: 'x' } }),
    );
  });

  test('credentials must fit the source', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';
    checkCredential({ name: 'o', type: 'oci', url: 'r/x' }, 'user:token');
    checkCredential({ name: 's', type: 'git', url: 'git@h:p.git' }, pem);
    checkCredential({ name: 'h', type: 'git', url: 'https://h/p.git' }, 'ghp_abc');
    for (const [s, c] of [
      [{ name: 'o', type: 'oci', url: 'r/x' }, 'zq-secret-9'],
      [{ name: 's', type: 'git', url: 'git@h:p.git' }, 'ghp_abc'],
      [{ name: 'h', type: 'git', url: 'https://h/p.git' }, pem],
      [{ name: 'f', type: 'git', url: 'file:///p' }, 'zq-secret-8'],
    ] as const) {
      assert.throws(
        () => checkCredential(s, c),
        (e) => isScrydonError(e, 'usage') && !(e as Error).message.includes(c),
      );
    }
  });

  test('sources.yaml: duplicate names and bad intervals are listed with their lines', () => {
    const text = encodeSourceList({
      apiVersion: 'scrydon.io/v1',
      kind: 'SourceList',
      sources: [
        { name: 'a', type: 'git', url: 'file:///r', signaturePolicy: unsigned },
        { name: 'a', type: 'git', url: 'file:///r', interval: '5s', signaturePolicy: unsigned },
      ],
    });
    assert.throws(
      () => parseSourceList(text, 'sources.yaml'),
      (e) =>
        isScrydonError(e, 'config_invalid') &&
        /listed twice/.test((e as Error).message) &&
        /30s … 1d/.test((e as Error).message) &&
        /line \d+/.test((e as Error).message),
    );
  });
});

describe('git access', () => {
  test('a PAT becomes a Basic header in the environment, never an argument; SSH keys go through GIT_SSH_COMMAND', () => {
    const https = gitConfigFor(
      { url: 'https://h/p.git', transport: { plainHttp: false, insecure: true, caFile: '/ca.pem' } },
      'ghp_secret',
      undefined,
      '/kh',
    );
    assert.deepEqual(https.config, [
      ['protocol.version', '2'],
      ['http.sslVerify', 'false'],
      ['http.sslCAInfo', '/ca.pem'],
      ['http.extraHeader', basicAuthHeader('ghp_secret')],
    ]);
    assert.equal(https.vars.GIT_ALLOW_PROTOCOL, 'https');
    assert.equal(https.vars.GIT_TERMINAL_PROMPT, '0');
    assert.equal(
      Buffer.from(basicAuthHeader('ghp_secret').split(' ')[2] ?? '', 'base64').toString(),
      'x-access-token:ghp_secret',
    );
    assert.equal(Buffer.from(basicAuthHeader('bob:tok').split(' ')[2] ?? '', 'base64').toString(), 'bob:tok');
    const ssh = gitConfigFor(
      { url: 'git@h:p.git', transport: { plainHttp: false, insecure: false } },
      undefined,
      "/tmp/it's/id",
      '/kh',
    );
    assert.match(ssh.vars.GIT_SSH_COMMAND ?? '', /-i '\/tmp\/it'\\''s\/id'/);
    assert.match(ssh.vars.GIT_SSH_COMMAND ?? '', /IdentitiesOnly=yes/);
    assert.equal(ssh.vars.GIT_ALLOW_PROTOCOL, 'ssh');
  });

  test("the registry client's time bounds reach git: curl's speed limit over http(s), connect timeout and keepalives over ssh", () => {
    const bounds = { connectMs: 30_000, idleMs: 60_000, minBytesPerSecond: 1024 };
    const https = gitConfigFor(
      { url: 'https://h/p.git', transport: { plainHttp: false, insecure: false } },
      undefined,
      undefined,
      '/kh',
      bounds,
    );
    assert.deepEqual(https.config.slice(-2), [
      ['http.lowSpeedLimit', '1024'],
      ['http.lowSpeedTime', '60'],
    ]);
    const ssh = gitConfigFor(
      { url: 'git@h:p.git', transport: { plainHttp: false, insecure: false } },
      undefined,
      undefined,
      '/kh',
      bounds,
    );
    assert.match(
      ssh.vars.GIT_SSH_COMMAND ?? '',
      /-o ConnectTimeout=30 -o ServerAliveInterval=30 -o ServerAliveCountMax=2/,
    );
  });

  test('ls-remote picks a branch, then a peeled tag; secrets are masked in messages', () => {
    const out = [
      '1'.repeat(40) + '\tHEAD',
      '2'.repeat(40) + '\trefs/heads/main',
      '3'.repeat(40) + '\trefs/tags/v1',
      '4'.repeat(40) + '\trefs/tags/v1^{}',
    ].join('\n');
    assert.equal(pickRemoteRef(out, 'main'), '2'.repeat(40));
    assert.equal(pickRemoteRef(out, 'v1'), '4'.repeat(40));
    assert.equal(pickRemoteRef(out, 'nope'), undefined);
    assert.equal(
      maskSecrets(`fatal: token ghp_secret / ${Buffer.from('ghp_secret').toString('base64')}`, ['ghp_secret']),
      'fatal: token *** / ***',
    );
  });
});

describe('catalogs in the store', () => {
  test('store names are stable functions of URL, ref and path; a git catalog artifact has one digest per commit', () => {
    const s = { type: 'git', url: 'https://h/p.git', ref: 'main', catalogPath: 'scrydon.yaml' } as const;
    assert.match(catalogStoreTag(s), /^scrydon\.sources\/git-[0-9a-f]{16}:catalog-[0-9a-f]{16}$/);
    assert.notEqual(catalogStoreTag(s), catalogStoreTag({ ...s, ref: 'dev' }));
    assert.equal(
      catalogStoreTag({ type: 'oci', url: '127.0.0.1:5000/acme/cat', ref: 'catalog', catalogPath: 'scrydon.yaml' }),
      '127.0.0.1:5000/acme/cat:catalog',
    );
    assert.match(gitPackTag(s.url, 'acme.fraud', '1.2.0+build'), /\/acme\.fraud:1\.2\.0_build$/);
    const a = gitCatalogArtifact(Buffer.from('x'), s, 'c'.repeat(40));
    assert.equal(a.descriptor.digest, gitCatalogArtifact(Buffer.from('x'), s, 'c'.repeat(40)).descriptor.digest);
    assert.notEqual(a.descriptor.digest, gitCatalogArtifact(Buffer.from('x'), s, 'd'.repeat(40)).descriptor.digest);
  });
});
