import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { startTokenServer, type RunningTokenServer } from '../helpers/token-server.js';

/**
 * Authenticated registries: Debian's docker-registry with htpasswd Basic auth, and with token auth backed by a
 * test token service (JWTs signed with a throw-away key). Credentials come from flags, `scrydon login`, Docker
 * and Podman auth files and docker-credential helpers; a wrong one fails as auth_failed naming the registry,
 * and no secret is ever printed.
 */

const PASSWORD = 'S3cret-pa55-never-print-me';
const WRONG = 'wrong-pa55-never-print-me-either';

let basic: RunningRegistry;
let tokenReg: RunningRegistry;
let tokens: RunningTokenServer;
let packHome: string;
let bin: string;

/** An isolated environment: its own HOME, Docker config dir, no Podman files, logins kept in auth.json. */
async function env(extra: NodeJS.ProcessEnv = {}): Promise<RunOptions & { env: NodeJS.ProcessEnv; home: string }> {
  const home = await tempDir();
  const userHome = await tempDir();
  return {
    home,
    env: {
      HOME: userHome,
      DOCKER_CONFIG: join(userHome, '.docker'),
      REGISTRY_AUTH_FILE: '',
      XDG_RUNTIME_DIR: '',
      SCRYDON_CREDENTIAL_STORE: 'file',
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      ...extra,
    },
  };
}

function noSecrets(r: { stdout: string; stderr: string }): void {
  for (const s of [PASSWORD, WRONG, Buffer.from(`alice:${PASSWORD}`).toString('base64')]) {
    assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), 'a secret was printed');
  }
}

async function writeHelper(name: string, script: string): Promise<void> {
  const p = join(bin, `docker-credential-${name}`);
  await writeFile(p, `#!/bin/sh\n${script}\n`);
  await chmod(p, 0o755);
}

before(async () => {
  bin = await tempDir();
  await writeHelper(
    'testok',
    `read server; printf '{"ServerURL":"%s","Username":"alice","Secret":"${PASSWORD}"}' "$server"`,
  );
  await writeHelper('testfail', 'echo "error: the keychain daemon is not running" >&2; exit 1');
  await writeHelper('testnone', 'echo "credentials not found in native keychain"; exit 1');
  basic = await startRegistry({ kind: 'htpasswd', users: { alice: PASSWORD } });
  tokens = await startTokenServer({ users: { alice: PASSWORD }, publicPrefix: 'public/' });
  tokenReg = await startRegistry({
    kind: 'token',
    realm: tokens.realm,
    service: tokens.service,
    issuer: tokens.issuer,
    certFile: tokens.certFile,
  });
  packHome = await tempDir();
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: packHome });
});

after(async () => {
  await basic?.stop();
  await tokenReg?.stop();
  await tokens?.close();
  await cleanupTemps();
});

describe('htpasswd Basic auth', () => {
  test('anonymous push is auth_failed, naming the registry, with a login hint', async () => {
    const e = await env();
    const r = expectError(
      await scrydon(['push', 'acme.fraud:1.2.0', `${basic.host}/acme/fraud:1`, '--plain-http'], {
        home: packHome,
        env: e.env,
      }),
      'auth_failed',
    );
    assert.match(r.stderr, new RegExp(basic.host.replace(/\./g, '\\.')));
    assert.match(r.stderr, /scrydon login/);
  });

  test('login with a wrong password is auth_failed and saves nothing; no secret printed', async () => {
    const e = await env();
    const r = expectError(
      await scrydon(['login', basic.host, '-u', 'alice', '--password-stdin', '--plain-http'], {
        ...e,
        input: `${WRONG}\n`,
      }),
      'auth_failed',
    );
    assert.match(r.stderr, new RegExp(basic.host.replace(/\./g, '\\.')));
    noSecrets(r);
    await assert.rejects(stat(join(e.home, 'auth.json')));
    const d = await scrydon(['login', basic.host, '-u', 'alice', '--password-stdin', '--plain-http', '--debug'], {
      ...e,
      input: `${WRONG}\n`,
    });
    noSecrets(d);
  });

  test('login verifies, saves into auth.json (0600) with a one-time warning; push, pull; logout forgets', async () => {
    const e = await env();
    const first = await ok(['login', basic.host, '-u', 'alice', '--password-stdin', '--plain-http'], {
      ...e,
      input: `${PASSWORD}\n`,
    });
    assert.match(first.stderr, /warning: no OS keychain/);
    noSecrets(first);
    const st = await stat(join(e.home, 'auth.json'));
    assert.equal(st.mode & 0o777, 0o600);
    const second = await ok(['login', basic.host, '-u', 'alice', '--password-stdin', '--plain-http'], {
      ...e,
      input: `${PASSWORD}\n`,
    });
    assert.doesNotMatch(second.stderr, /warning/, 'the warning is given once');
    await ok(['copy', `oci:${join(packHome, 'catalog')}:acme.fraud:1.2.0`, 'store:acme.fraud:1.2.0'], e);
    await ok(['push', 'acme.fraud:1.2.0', `${basic.host}/acme/fraud:1`, '--plain-http'], e);
    const pulled = await json<{ digest: string }>(['pull', `${basic.host}/acme/fraud:1`, '--plain-http'], e);
    assert.match(pulled.digest, /^sha256:/);
    const out = await json<{ removed: boolean }>(['logout', basic.host], e);
    assert.equal(out.removed, true);
    const auth = await readFile(join(e.home, 'auth.json'), 'utf8');
    assert.ok(!auth.includes(basic.host), 'the login is gone from auth.json');
    expectError(await scrydon(['pull', `${basic.host}/acme/fraud:1`, '--plain-http'], e), 'auth_failed');
  });

  test('--username with --password-stdin, without login; a wrong one is auth_failed', async () => {
    const e = await env();
    const r = await json<{ digest: string }>(
      ['push', 'acme.fraud:1.2.0', `${basic.host}/flags/fraud:1`, '--plain-http', '-u', 'alice', '--password-stdin'],
      { home: packHome, env: e.env, input: PASSWORD },
    );
    assert.match(r.digest, /^sha256:/);
    const bad = expectError(
      await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http', '-u', 'alice', '--password-stdin'], {
        ...e,
        input: WRONG,
      }),
      'auth_failed',
    );
    assert.match(bad.stderr, /--username/);
    noSecrets(bad);
  });

  test('credentials from a Docker config.json (auths), and from a Podman REGISTRY_AUTH_FILE', async () => {
    const e = await env();
    await mkdir(e.env.DOCKER_CONFIG as string, { recursive: true });
    const auth = Buffer.from(`alice:${PASSWORD}`).toString('base64');
    await writeFile(
      join(e.env.DOCKER_CONFIG as string, 'config.json'),
      JSON.stringify({ auths: { [`http://${basic.host}`]: { auth } } }),
    );
    await ok(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e);
    const p = await env();
    const podman = join(await tempDir(), 'auth.json');
    await writeFile(podman, JSON.stringify({ auths: { [`${basic.host}/flags`]: { auth } } }));
    await ok(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], {
      ...p,
      env: { ...p.env, REGISTRY_AUTH_FILE: podman },
    });
  });

  test('a stale Docker login is named in the hint, and a fresh scrydon login for the registry wins over it', async () => {
    const e = await env();
    await mkdir(e.env.DOCKER_CONFIG as string, { recursive: true });
    const config = join(e.env.DOCKER_CONFIG as string, 'config.json');
    const stale = Buffer.from(`alice:${WRONG}`).toString('base64');
    await writeFile(config, JSON.stringify({ auths: { [`http://${basic.host}`]: { auth: stale } } }));
    const r = expectError(await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e), 'auth_failed');
    assert.ok(r.stderr.includes(`in ${config} is refused: fix or remove it there`), r.stderr);
    noSecrets(r);
    await ok(['login', basic.host, '-u', 'alice', '--password-stdin', '--plain-http'], {
      ...e,
      input: `${PASSWORD}\n`,
    });
    const pulled = await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e);
    assert.equal(pulled.code, 0, pulled.stderr);
    noSecrets(pulled);
    assert.equal(
      await readFile(config, 'utf8'),
      JSON.stringify({ auths: { [`http://${basic.host}`]: { auth: stale } } }),
    );
  });

  test('credHelpers and credsStore run docker-credential-<name>; a failing helper is credential_helper_failed', async () => {
    const e = await env();
    const dc = e.env.DOCKER_CONFIG as string;
    await mkdir(dc, { recursive: true });
    await writeFile(join(dc, 'config.json'), JSON.stringify({ credHelpers: { [basic.host]: 'testok' } }));
    await ok(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e);
    await writeFile(join(dc, 'config.json'), JSON.stringify({ credsStore: 'testok' }));
    await ok(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e);
    await writeFile(join(dc, 'config.json'), JSON.stringify({ credHelpers: { [basic.host]: 'testfail' } }));
    const r = expectError(
      await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e),
      'credential_helper_failed',
    );
    assert.match(r.stderr, /docker-credential-testfail/);
    assert.match(r.stderr, /keychain daemon is not running/);
    await writeFile(join(dc, 'config.json'), JSON.stringify({ credHelpers: { [basic.host]: 'absent' } }));
    expectError(await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e), 'credential_helper_failed');
    // "not found" from a helper is no error: the lookup goes on (here to nothing: auth_failed)
    await writeFile(join(dc, 'config.json'), JSON.stringify({ credHelpers: { [basic.host]: 'testnone' } }));
    expectError(await scrydon(['pull', `${basic.host}/flags/fraud:1`, '--plain-http'], e), 'auth_failed');
  });

  test('an anonymous pull from a registry that asks nothing never runs a helper', async () => {
    const open = await startRegistry();
    try {
      const e = await env();
      await ok(['push', 'acme.fraud:1.2.0', `${open.host}/acme/fraud:1`, '--plain-http'], {
        home: packHome,
        env: e.env,
      });
      const dc = e.env.DOCKER_CONFIG as string;
      await mkdir(dc, { recursive: true });
      await writeFile(join(dc, 'config.json'), JSON.stringify({ credsStore: 'testfail' }));
      await ok(['pull', `${open.host}/acme/fraud:1`, '--plain-http'], e);
    } finally {
      await open.stop();
    }
  });
});

describe('token auth', () => {
  test('login against the token service, then push and pull with tokens cached per scope', async () => {
    const e = await env();
    await ok(['login', tokenReg.host, '-u', 'alice', '--password-stdin', '--plain-http'], { ...e, input: PASSWORD });
    await ok(['copy', `oci:${join(packHome, 'catalog')}:acme.fraud:1.2.0`, 'store:acme.fraud:1.2.0'], e);
    tokens.requests.length = 0;
    await ok(['push', 'acme.fraud:1.2.0', `${tokenReg.host}/acme/fraud:1`, '--plain-http'], e);
    assert.ok(tokens.requests.length <= 2, `a handful of token requests, not one per blob (${tokens.requests.length})`);
    assert.ok(tokens.requests.every((t) => t.who === 'alice'));
    const e2 = await env();
    await ok(['login', tokenReg.host, '-u', 'alice', '--password-stdin', '--plain-http'], { ...e2, input: PASSWORD });
    const pulled = await json<{ digest: string; referrers: number }>(
      ['pull', `${tokenReg.host}/acme/fraud:1`, '--plain-http'],
      e2,
    );
    assert.match(pulled.digest, /^sha256:/);
  });

  test('a wrong password is auth_failed from the token service, naming the registry; no secret printed', async () => {
    const e = await env();
    const r = expectError(
      await scrydon(['login', tokenReg.host, '-u', 'alice', '--password-stdin', '--plain-http'], {
        ...e,
        input: WRONG,
      }),
      'auth_failed',
    );
    assert.match(r.stderr, new RegExp(tokenReg.host.replace(/\./g, '\\.')));
    noSecrets(r);
    const p = expectError(
      await scrydon(['pull', `${tokenReg.host}/acme/fraud:1`, '--plain-http', '-u', 'alice', '--password-stdin'], {
        ...e,
        input: WRONG,
      }),
      'auth_failed',
    );
    noSecrets(p);
  });

  test('anonymous: a private repository is auth_failed; a public one pulls with an anonymous token', async () => {
    const e = await env();
    expectError(await scrydon(['pull', `${tokenReg.host}/acme/fraud:1`, '--plain-http'], e), 'auth_failed');
    const w = await env();
    await ok(
      [
        'push',
        'acme.fraud:1.2.0',
        `${tokenReg.host}/public/fraud:1`,
        '--plain-http',
        '-u',
        'alice',
        '--password-stdin',
      ],
      { home: packHome, env: w.env, input: PASSWORD },
    );
    await ok(['pull', `${tokenReg.host}/public/fraud:1`, '--plain-http'], e);
    expectError(
      await scrydon(['push', 'acme.fraud:1.2.0', `${tokenReg.host}/public/fraud:2`, '--plain-http'], {
        home: packHome,
        env: e.env,
      }),
      'auth_failed',
    );
  });

  test('an identity token (OAuth2 refresh token) from a Docker config is exchanged at the realm', async () => {
    const e = await env();
    const dc = e.env.DOCKER_CONFIG as string;
    await mkdir(dc, { recursive: true });
    await writeFile(
      join(dc, 'config.json'),
      JSON.stringify({
        auths: {
          [tokenReg.host]: {
            auth: Buffer.from('<token>:').toString('base64'),
            identitytoken: tokens.refreshTokenFor('alice'),
          },
        },
      }),
    );
    tokens.requests.length = 0;
    await ok(['pull', `${tokenReg.host}/acme/fraud:1`, '--plain-http'], e);
    assert.ok(tokens.requests.some((t) => t.method === 'POST' && t.who === 'refresh:alice'));
  });
});
