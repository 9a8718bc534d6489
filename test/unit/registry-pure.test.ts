import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseChallenges, pickChallenge } from '../../src/registry/auth/challenge.js';
import { covers, formatScopes, parseScopes, union } from '../../src/registry/auth/scope.js';
import {
  findAuthEntry,
  lookupKeys,
  normalizeAuthKey,
  parseAuthFile,
} from '../../src/registry/credentials/docker-config.js';
import { apiHost, canonicalRegistry, parseRemoteReference, pushAllTarget } from '../../src/names/remote.js';
import { parseLocation } from '../../src/registry/location.js';
import { fallbackTag, isFallbackTag } from '../../src/registry/referrers.js';
import { parseRegistriesFile, RegistrySettings } from '../../src/registry/settings.js';
import { authority, parseProxyUrl, proxyAuthorization, proxyFor } from '../../src/registry/transport/proxy.js';
import { backoffMs, retryableStatus, retryAfterMs } from '../../src/registry/transport/retry.js';
import { isScrydonError } from '../../src/errors.js';
import { storeTagFor } from '../../src/names/store.js';

describe('references and hosts', () => {
  test('Docker Hub: docker.io names map to registry-1.docker.io, single names get library/', () => {
    assert.deepEqual(parseRemoteReference('alpine'), { registry: 'docker.io', repository: 'library/alpine' });
    assert.deepEqual(parseRemoteReference('index.docker.io/acme/x:1'), {
      registry: 'docker.io',
      repository: 'acme/x',
      tag: '1',
    });
    assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(apiHost('ghcr.io'), 'ghcr.io');
    assert.equal(canonicalRegistry('Registry-1.Docker.IO'), 'docker.io');
    assert.deepEqual(parseRemoteReference('ghcr.io/acme/fraud'), { registry: 'ghcr.io', repository: 'acme/fraud' });
  });

  test('store tags of pulled references, and push --all targets', () => {
    assert.equal(storeTagFor(parseRemoteReference('ghcr.io/acme/fraud:1.2.0')), 'ghcr.io/acme/fraud:1.2.0');
    assert.equal(storeTagFor(parseRemoteReference('ghcr.io/acme/fraud')), 'ghcr.io/acme/fraud:latest');
    const d = `sha256:${'a'.repeat(64)}`;
    assert.equal(storeTagFor(parseRemoteReference(`ghcr.io/acme/fraud@${d}`)), `ghcr.io/acme/fraud@${d}`);
    assert.equal(
      pushAllTarget('reg.local:5000/mirror', `ghcr.io/acme/fraud@${d}`),
      `reg.local:5000/mirror/acme/fraud@${d}`,
    );
    assert.ok(
      isFallbackTag(fallbackTag(d as `sha256:${string}`)) &&
        !isFallbackTag(`sha256-${'a'.repeat(64)}.sig`) &&
        !isFallbackTag('1.2.0'),
    );
    assert.equal(
      pushAllTarget('reg.local:5000/mirror/', 'ghcr.io/acme/fraud:1.2.0'),
      'reg.local:5000/mirror/acme/fraud:1.2.0',
    );
    assert.equal(pushAllTarget('reg.local:5000/mirror', 'acme.fraud:1.2.0'), 'reg.local:5000/mirror/acme.fraud:1.2.0');
    assert.equal(fallbackTag(d as `sha256:${string}`), `sha256-${'a'.repeat(64)}`);
  });

  test('copy locations: oci:, store:, docker://, and bare references', () => {
    assert.deepEqual(parseLocation('oci:/tmp/x:img:1'), { kind: 'layout', path: '/tmp/x', ref: 'img:1' });
    assert.deepEqual(parseLocation('oci:./out'), { kind: 'layout', path: './out', ref: undefined });
    assert.deepEqual(parseLocation('store:acme.fraud:1'), { kind: 'store', ref: 'acme.fraud:1' });
    assert.deepEqual(parseLocation('acme.fraud:1'), { kind: 'store', ref: 'acme.fraud:1' });
    assert.equal(parseLocation('ghcr.io/acme/fraud:1').kind, 'remote');
    assert.deepEqual(parseLocation('docker://alpine'), {
      kind: 'remote',
      ref: { registry: 'docker.io', repository: 'library/alpine' },
    });
  });
});

describe('auth', () => {
  test('WWW-Authenticate challenges: quoted commas, several schemes, Bearer preferred', () => {
    const cs = parseChallenges([
      'Basic realm="x", Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push",error="insufficient_scope"',
    ]);
    assert.equal(cs.length, 2);
    const c = pickChallenge(cs);
    assert.equal(c?.scheme, 'bearer');
    assert.equal(c?.params.scope, 'repository:a/b:pull,push');
    assert.equal(c?.params.service, 'reg.example');
    assert.equal(c?.params.error, 'insufficient_scope');
    assert.equal(
      pickChallenge(parseChallenges(['Basic realm="a \\"quoted\\" realm"']))?.params.realm,
      'a "quoted" realm',
    );
  });

  test('scopes: a push token covers pull; union merges actions', () => {
    const push = parseScopes(['repository:a/b:pull,push']);
    assert.ok(covers(push, parseScopes(['repository:a/b:pull'])));
    assert.ok(!covers(parseScopes(['repository:a/b:pull']), push));
    assert.deepEqual(
      formatScopes(
        union(parseScopes(['repository:a/b:pull']), parseScopes(['repository:c:pull', 'repository:a/b:push'])),
      ),
      ['repository:a/b:pull,push', 'repository:c:pull'],
    );
  });

  test('Docker/Podman auth keys: URLs, hosts, per-repository keys, most specific first', () => {
    assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeAuthKey('http://127.0.0.1:5000'), '127.0.0.1:5000');
    assert.equal(normalizeAuthKey('quay.io/acme/app'), 'quay.io/acme/app');
    assert.deepEqual(lookupKeys('quay.io', 'acme/app'), ['quay.io/acme/app', 'quay.io/acme', 'quay.io']);
    const f = parseAuthFile(
      JSON.stringify({
        auths: { 'quay.io': { auth: 'dTpw' }, 'quay.io/acme': { auth: 'dTI6cDI=' } },
        credsStore: 'desktop',
      }),
      'x.json',
    );
    assert.equal(findAuthEntry(f, 'quay.io', 'acme/app')?.auth, 'dTI6cDI=');
    assert.equal(findAuthEntry(f, 'quay.io', 'other/app')?.auth, 'dTpw');
    assert.equal(f.credsStore, 'desktop');
    assert.throws(
      () => parseAuthFile('{nope', 'x.json'),
      (e: unknown) => isScrydonError(e, 'config_invalid'),
    );
  });
});

describe('transport policy', () => {
  test('retryable statuses and Retry-After', () => {
    for (const s of [429, 500, 502, 503, 504]) assert.ok(retryableStatus(s), String(s));
    for (const s of [400, 401, 403, 404, 501]) assert.ok(!retryableStatus(s), String(s));
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now()) !== undefined, true);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(backoffMs({ attempts: 4, baseMs: 100, maxMs: 1000 }, 1, 60_000), 1000, 'Retry-After is capped');
  });

  test('registries.yaml: per-host settings, flags only for the registries a command names', async () => {
    const file = await parseRegistriesFile(
      'registries:\n  "localhost:5000":\n    plainHttp: true\n  reg.internal:\n    caFile: /etc/ca.pem\n',
      'r.yaml',
    );
    const s = new RegistrySettings(file).withFlags({ insecure: true }, ['ghcr.io']);
    assert.deepEqual(s.for('localhost:5000'), { plainHttp: true, insecure: false });
    assert.deepEqual(s.for('reg.internal'), { plainHttp: false, insecure: false, caFile: '/etc/ca.pem' });
    assert.deepEqual(s.for('ghcr.io'), { plainHttp: false, insecure: true });
    assert.deepEqual(s.for('quay.io'), { plainHttp: false, insecure: false });
    await assert.rejects(parseRegistriesFile('registries:\n  x:\n    plainhttp: true\n', 'r.yaml'), (e: unknown) =>
      isScrydonError(e, 'config_invalid'),
    );
  });
});

describe('proxy selection (Go net/http rules)', () => {
  const c = { httpsProxy: 'proxy.corp:3128', httpProxy: 'http://plain.corp:8080', noProxy: '' };
  const via = (url: string, noProxy = ''): string | undefined => proxyFor(new URL(url), { ...c, noProxy })?.href;

  test('https uses HTTPS_PROXY, http uses HTTP_PROXY; a proxy without a scheme is http://', () => {
    assert.equal(via('https://ghcr.io/v2/'), 'http://proxy.corp:3128/');
    assert.equal(via('http://reg.lan:5000/v2/'), 'http://plain.corp:8080/');
    assert.equal(proxyFor(new URL('https://ghcr.io/v2/'), {}), undefined);
  });

  test('localhost and loopback addresses never go through a proxy', () => {
    for (const u of ['https://localhost:5000/', 'https://127.0.0.1:5000/', 'https://127.1.2.3/', 'https://[::1]:5000/'])
      assert.equal(via(u), undefined, u);
    assert.equal(via('https://10.0.0.1/'), 'http://proxy.corp:3128/');
  });

  test('NO_PROXY: *, names with their subdomains, leading dots, ports, IPs and CIDRs', () => {
    assert.equal(via('https://ghcr.io/', '*'), undefined);
    assert.equal(via('https://ghcr.io/', 'ghcr.io'), undefined);
    assert.equal(via('https://pkg.ghcr.io/', 'ghcr.io'), undefined);
    assert.equal(via('https://x.ghcr.io/', '.ghcr.io'), undefined);
    assert.equal(via('https://ghcr.io/', '.ghcr.io'), 'http://proxy.corp:3128/', 'a leading dot: subdomains only');
    assert.equal(via('https://a.b.ghcr.io/', '*.ghcr.io'), undefined);
    assert.equal(via('https://ghcr.io/', '*.ghcr.io'), 'http://proxy.corp:3128/');
    assert.equal(
      via('https://ghcr.io/', 'example.com ghcr.io'),
      'http://proxy.corp:3128/',
      'entries are separated by commas only',
    );
    assert.equal(via('https://xn--bcher-kva.example/', 'bücher.example'), undefined);
    assert.equal(via('https://notghcr.io/', 'ghcr.io'), 'http://proxy.corp:3128/');
    assert.equal(via('https://reg.lan:8443/', 'reg.lan:8443'), undefined);
    assert.equal(via('https://reg.lan/', 'reg.lan:8443'), 'http://proxy.corp:3128/');
    assert.equal(via('https://reg.lan/', 'reg.lan:443'), undefined);
    assert.equal(via('https://10.1.2.3/', '10.0.0.0/8'), undefined);
    assert.equal(via('https://11.1.2.3/', '10.0.0.0/8'), 'http://proxy.corp:3128/');
    assert.equal(via('https://192.168.7.9/', 'example.com, 192.168.7.9'), undefined);
    assert.equal(via('https://[fd00::5]/', 'fd00::/8'), undefined);
    assert.equal(via('https://[fe80::5]/', 'fd00::/8'), 'http://proxy.corp:3128/');
    assert.equal(via('https://[fd00::5]:5000/', '[fd00::5]:5000'), undefined);
    assert.equal(via('https://[fd00::5]/', 'fd00:0:0:0:0:0:0:5'), undefined, 'IPs compare as addresses');
    assert.equal(
      via('https://[::ffff:10.0.0.1]/', '10.0.0.0/8'),
      undefined,
      'an IPv4-mapped address is its IPv4 address',
    );
    assert.equal(via('https://[::ffff:127.0.0.1]/'), undefined, 'IPv4-mapped loopback');
  });

  test('proxy URLs: credentials decoded for Proxy-Authorization; other schemes refused', () => {
    assert.equal(
      proxyAuthorization(parseProxyUrl('http://us%40er:p%3Ass@proxy:3128')),
      `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`,
    );
    assert.equal(proxyAuthorization(parseProxyUrl('proxy:3128')), undefined);
    assert.throws(
      () => parseProxyUrl('socks5://proxy:1080'),
      (e: unknown) => isScrydonError(e) && e.code === 'usage',
    );
    assert.throws(
      () => parseProxyUrl('http://u:pw%zz@proxy:3128'),
      (e: unknown) => isScrydonError(e) && e.code === 'usage' && !e.message.includes('pw'),
    );
    assert.equal(authority('fd00::5', 443), '[fd00::5]:443');
    assert.equal(authority('ghcr.io', 443), 'ghcr.io:443');
  });
});
