import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN,
  cleanupTemps,
  expectError,
  FIXTURES,
  json,
  ok,
  scrydon,
  tempDir,
  treeHash,
  type RunOptions,
} from '../helpers/cli.js';
import { startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';
import { startRegistry, TEST_REGISTRY_NAME, type RunningRegistry } from '../helpers/registry.js';
import { seedPack, type Seeded } from '../helpers/seed-store.js';
import { selfSigned } from '../helpers/tls.js';

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY against real registries through a real forward proxy on 127.0.0.1. The
 * registries are named `registry.scrydon.test`, which only the proxy resolves: a request that does not go
 * through the proxy cannot reach them. The pack's layer is 2 MiB, so the large-blob path is covered too.
 */

const PROXY_PASSWORD = 'pr0xy-pa55-never-print-me';
const WRONG = 'wr0ng-pr0xy-pa55';

let tlsReg: RunningRegistry;
let plainReg: RunningRegistry;
let proxy: ForwardProxy;
let authProxy: ForwardProxy;
let src: string;
let seeded: Seeded;

/** No proxy variables from the outside, plus `extra`. */
function via(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HTTPS_PROXY: '',
    https_proxy: '',
    HTTP_PROXY: '',
    http_proxy: '',
    NO_PROXY: '',
    no_proxy: '',
  };
  return { ...env, ...extra };
}

before(async () => {
  [tlsReg, plainReg] = await Promise.all([startRegistry({ kind: 'none' }, { tls: true }), startRegistry()]);
  const hosts = { [TEST_REGISTRY_NAME]: '127.0.0.1' };
  [proxy, authProxy] = await Promise.all([
    startForwardProxy({ hosts }),
    startForwardProxy({ hosts, auth: { user: 'scry', password: PROXY_PASSWORD } }),
  ]);
  src = await tempDir();
  seeded = await seedPack(join(src, 'catalog'), 'proxy.pack:1', await tempDir(), { layers: [2 * 1024 * 1024] });
});

after(async () => {
  await Promise.all([proxy?.close(), authProxy?.close()]);
  await Promise.all([tlsReg?.stop(), plainReg?.stop()]);
  await cleanupTemps();
});

const tlsName = (): string => `${TEST_REGISTRY_NAME}:${tlsReg.port}`;
const ca = (): string[] => ['--ca-file', tlsReg.certFile ?? ''];

describe('proxies', () => {
  test('https through a CONNECT proxy: push, then pull by a name only the proxy resolves (the TLS check still names the registry)', async () => {
    const env = via({ HTTPS_PROXY: proxy.url });
    await ok(['push', 'proxy.pack:1', `${tlsName()}/proxy/pack:1`, ...ca()], { home: src, env });
    const r = await json<{ digest: string }>(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
      home: await tempDir(),
      env,
    });
    assert.equal(r.digest, seeded.manifest.digest);
    assert.ok(
      proxy.tunnels.length > 0 && proxy.tunnels.every((t) => t === tlsName()),
      `tunnels: ${proxy.tunnels.join(', ')}`,
    );
    // the registry's certificate is still checked inside the tunnel, against the registry's name
    expectError(await scrydon(['pull', `${tlsName()}/proxy/pack:1`], { home: await tempDir(), env }), 'tls_error');
  });

  test('an https:// proxy (TLS to the proxy, checked against the proxy name), an IPv6 registry in brackets, a 502 on CONNECT retried', async () => {
    const { key, cert, certFile } = selfSigned(await tempDir());
    const tlsProxy = await startForwardProxy({
      hosts: { [TEST_REGISTRY_NAME]: '127.0.0.1', 'fd00::5': '127.0.0.1' },
      tls: { key, cert },
      failConnects: 1,
    });
    try {
      const env = via({ HTTPS_PROXY: tlsProxy.url, NODE_EXTRA_CA_CERTS: certFile });
      const r = await json<{ digest: string }>(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
        home: await tempDir(),
        env,
      });
      assert.equal(r.digest, seeded.manifest.digest);
      assert.equal(tlsProxy.connects, tlsProxy.tunnels.length + 1, 'the refused CONNECT was retried');
      const v6 = `[fd00::5]:${tlsReg.port}`;
      const r6 = await json<{ digest: string }>(['pull', `${v6}/proxy/pack:1`, '--insecure'], {
        home: await tempDir(),
        env,
      });
      assert.equal(r6.digest, seeded.manifest.digest);
      assert.ok(tlsProxy.tunnels.includes(v6), tlsProxy.tunnels.join(', '));
    } finally {
      await tlsProxy.close();
    }
  });

  test('an interrupt while the proxy has not answered CONNECT ends the command at once', async () => {
    const silent = await startForwardProxy({ hosts: {}, silent: true });
    try {
      const child = spawn(process.execPath, [BIN, 'pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
        env: { ...process.env, ...via({ HTTPS_PROXY: silent.url }), SCRYDON_HOME: await tempDir(), NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      while (silent.connects === 0) await new Promise((r) => setTimeout(r, 50));
      const t = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.ok(Date.now() - t < 4000, `took ${Date.now() - t} ms (the 5 s hard exit is the fallback, not the path)`);
      assert.notEqual(code, 0);
      assert.match(err, /error\[aborted\]/);
    } finally {
      await silent.close();
    }
  });

  test('NO_PROXY and loopback addresses bypass the proxy', async () => {
    const before = proxy.tunnels.length;
    const h = await tempDir();
    const r = expectError(
      await scrydon(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
        home: h,
        env: via({ https_proxy: proxy.url, no_proxy: 'example.com,.scrydon.test' }),
      }),
      'network_error',
    );
    assert.match(r.stderr, /registry\.scrydon\.test/);
    assert.equal(proxy.tunnels.length, before, 'no tunnel was opened');
    // 127.0.0.1 never goes through a proxy, not even one that is not there
    await ok(['pull', `${tlsReg.host}/proxy/pack:1`, ...ca()], {
      home: h,
      env: via({ HTTPS_PROXY: 'http://127.0.0.1:9' }),
    });
  });

  test('a proxy asking for credentials: taken from the proxy URL; wrong ones are proxy_error naming the proxy, never the password', async () => {
    const good: RunOptions = {
      home: await tempDir(),
      env: via({ HTTPS_PROXY: `http://scry:${PROXY_PASSWORD}@127.0.0.1:${authProxy.port}` }),
    };
    const r = await json<{ digest: string }>(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], good);
    assert.equal(r.digest, seeded.manifest.digest);
    const h = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-core')], { home: h });
    const before = await treeHash(h);
    const refused = authProxy.refused;
    const bad = expectError(
      await scrydon(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
        home: h,
        env: via({ HTTPS_PROXY: `http://scry:${WRONG}@127.0.0.1:${authProxy.port}` }),
      }),
      'proxy_error',
    );
    assert.match(bad.stderr, new RegExp(`127\\.0\\.0\\.1:${authProxy.port}`));
    for (const s of [WRONG, PROXY_PASSWORD, Buffer.from(`scry:${WRONG}`).toString('base64')])
      assert.ok(!bad.stderr.includes(s) && !bad.stdout.includes(s), 'a secret was printed');
    assert.equal(authProxy.refused, refused + 1, 'refused once, not retried');
    assert.equal(await treeHash(h), before, 'the store is unchanged');
    const plain = expectError(
      await scrydon(['pull', `${TEST_REGISTRY_NAME}:${plainReg.port}/plain/pack:1`, '--plain-http'], {
        home: h,
        env: via({ HTTP_PROXY: `http://scry:${WRONG}@127.0.0.1:${authProxy.port}` }),
      }),
      'proxy_error',
    );
    assert.ok(!plain.stderr.includes(WRONG));
    const down = expectError(
      await scrydon(['pull', `${tlsName()}/proxy/pack:1`, ...ca()], {
        home: h,
        env: via({ HTTPS_PROXY: 'http://127.0.0.1:9' }),
      }),
      'network_error',
    );
    assert.match(down.stderr, /through the proxy 127\.0\.0\.1:9/);
    assert.equal(await treeHash(h), before, 'the store is unchanged');
  });

  test('plain http goes to the proxy in absolute form (HTTP_PROXY), uploads included', async () => {
    const name = `${TEST_REGISTRY_NAME}:${plainReg.port}`;
    const env = via({ HTTP_PROXY: proxy.url, HTTPS_PROXY: 'http://127.0.0.1:9' });
    await ok(['push', 'proxy.pack:1', `${name}/plain/pack:1`, '--plain-http'], { home: src, env });
    const r = await json<{ digest: string }>(['pull', `${name}/plain/pack:1`, '--plain-http'], {
      home: await tempDir(),
      env,
    });
    assert.equal(r.digest, seeded.manifest.digest);
    const layer = seeded.layers[0]?.digest ?? '';
    assert.ok(proxy.forwarded.includes(`GET http://${name}/v2/plain/pack/blobs/${layer}`), proxy.forwarded.join('\n'));
    assert.ok(proxy.forwarded.some((f) => f.startsWith(`PUT http://${name}/v2/plain/pack/blobs/uploads/`)));
    assert.ok(
      proxy.forwardedHosts.every((h) => h === name),
      `Host headers: ${[...new Set(proxy.forwardedHosts)].join(', ')}`,
    );
  });
});
