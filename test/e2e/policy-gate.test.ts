import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, expectError, FIXTURES, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';

/**
 * One gate for registries (issue 13 §1, §2): with policy.yaml's secure profile, every command that would talk to a
 * registry the allow-list does not name is refused with registry_not_allowed before a single connection; and
 * sign/verify without --remote never reach a registry. The "registry" is a TCP listener that counts connections:
 * zero is the only right answer.
 */

let server: Server;
let connections = 0;
let reg: string;
let keys: string;
const PW = { COSIGN_PASSWORD: 'pw' };

before(async () => {
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  reg = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
});

after(async () => {
  await new Promise((r) => server.close(r));
  await cleanupTemps();
});

async function secureHome(): Promise<string> {
  const home = await tempDir();
  await writeFile(
    join(home, 'policy.yaml'),
    'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nallowedRegistries: [registry.allowed.example]\n',
  );
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
  return home;
}

describe('the registry allow-list is one gate in the registry client', () => {
  const cases: Array<[string, (r: string, keysDir: string) => string[], string?]> = [
    ['pull', (r) => ['pull', `${r}/acme/fraud:1.2.0`, '--plain-http']],
    ['push', (r) => ['push', 'acme.fraud:1.2.0', `${r}/acme/fraud:1.2.0`, '--plain-http']],
    ['push --all', (r) => ['push', '--all', `${r}/mirror`, '--plain-http']],
    ['copy (registry source)', (r) => ['copy', `${r}/acme/fraud:1.2.0`, 'store:acme.copy:1', '--plain-http']],
    ['copy (registry destination)', (r) => ['copy', 'acme.fraud:1.2.0', `${r}/acme/fraud:1.2.0`, '--plain-http']],
    ['inspect --remote', (r) => ['inspect', '--remote', `${r}/acme/fraud:1.2.0`, '--plain-http']],
    ['inspect docker://', (r) => ['inspect', `docker://${r}/acme/fraud:1.2.0`, '--plain-http']],
    ['login', (r) => ['login', r, '-u', 'alice', '--password-stdin', '--plain-http'], 'secret\n'],
    [
      'sign --remote',
      (r, k) => ['sign', `${r}/acme/fraud:1.2.0`, '--remote', '--plain-http', '--key', join(k, 'cosign.key')],
    ],
    [
      'verify --remote',
      (r, k) => ['verify', `${r}/acme/fraud:1.2.0`, '--remote', '--plain-http', '--key', join(k, 'cosign.pub')],
    ],
  ];
  for (const [name, args, input] of cases) {
    test(`${name}: registry_not_allowed, no connection, nothing changed`, async () => {
      const home = await secureHome();
      const before = await treeHash(home);
      connections = 0;
      const r = expectError(
        await scrydon(args(reg, keys), { home, env: PW, ...(input ? { input } : {}) }),
        'registry_not_allowed',
      );
      assert.match(r.stderr, new RegExp(`registry ${reg.replace(/\./g, '\\.')} is not in allowedRegistries`));
      assert.equal(connections, 0, `${name} connected to a registry the policy forbids`);
      assert.equal(await treeHash(home), before);
    });
  }

  test('source test and reconcile of an OCI source: registry_not_allowed, no connection', async () => {
    const home = await secureHome();
    await ok(
      [
        'source',
        'add',
        'site',
        '--type',
        'oci',
        '--url',
        `${reg}/acme/catalog`,
        '--plain-http',
        '--signature-policy',
        'cosign-key',
        '--public-key',
        join(keys, 'cosign.pub'),
      ],
      { home },
    );
    connections = 0;
    expectError(await scrydon(['source', 'test', 'site'], { home }), 'registry_not_allowed');
    const run = await scrydon(['reconcile', '--json'], { home });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /registry_not_allowed/);
    assert.equal(connections, 0);
  });
});

describe('a redirect is a connection too', () => {
  test('an allowed registry that redirects to a host the allow-list does not name: registry_not_allowed, no connection there', async () => {
    const { createServer: createHttpServer } = await import('node:http');
    const redirector = createHttpServer((req, res) => {
      if (req.url === '/v2/') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(307, { location: `http://${reg}${req.url ?? '/'}` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    const a = redirector.address();
    const allowed = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    try {
      const home = await tempDir();
      await writeFile(
        join(home, 'policy.yaml'),
        `apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: secure\nallowedRegistries: ["${allowed}"]\n`,
      );
      await ok(['ls'], { home });
      const before = await treeHash(home);
      connections = 0;
      const r = expectError(
        await scrydon(['pull', `${allowed}/acme/fraud:1.2.0`, '--plain-http'], { home }),
        'registry_not_allowed',
      );
      assert.match(r.stderr, /redirected to 127\.0\.0\.1/);
      assert.equal(connections, 0, 'the redirect was followed to a registry the policy forbids');
      assert.equal(await treeHash(home), before);
    } finally {
      await new Promise((r) => redirector.close(r));
    }
  });
});

describe('without --remote, sign and verify touch only the store', () => {
  test('verify and sign of a name the store does not hold: not_found naming --remote, no connection', async () => {
    const home = await tempDir();
    await ok(['ls'], { home }); // the store exists; nothing below may change it
    const before = await treeHash(home);
    connections = 0;
    const v = expectError(
      await scrydon(['verify', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--key', join(keys, 'cosign.pub')], { home }),
      'not_found',
    );
    assert.match(v.stderr, /--remote/);
    const i = expectError(await scrydon(['inspect', `${reg}/acme/fraud:1.2.0`], { home }), 'not_found');
    assert.match(i.stderr, /--remote/);
    const s = expectError(
      await scrydon(
        ['sign', `${reg}/acme/fraud:1.2.0`, '--plain-http', '--legacy', '--key', join(keys, 'cosign.key')],
        { home, env: PW },
      ),
      'not_found',
    );
    assert.match(s.stderr, /--remote/);
    assert.equal(connections, 0, 'sign/verify without --remote reached the network');
    assert.equal(await treeHash(home), before);
  });
});

describe('verify passes only when a signature was verified', () => {
  test('no key, no identity, no policy: a usage error naming the ways to say whom to trust', async () => {
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    const r = expectError(await scrydon(['verify', 'acme.fraud:1.2.0'], { home }), 'usage', 2);
    assert.match(r.stderr, /--key/);
    assert.match(r.stderr, /--certificate-identity/);
    assert.match(r.stderr, /policy\.yaml/);
  });

  test('a policy scope that requires no signature: usage error, not a pass', async () => {
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    await writeFile(
      join(home, 'policy.yaml'),
      'apiVersion: scrydon.io/v1\nkind: SecurityPolicy\nprofile: permissive\nscopes:\n  - name: lab\n    match: "**"\n    signatures: [{kind: none}]\n',
    );
    const r = expectError(await scrydon(['verify', 'acme.fraud:1.2.0'], { home }), 'usage', 2);
    assert.match(r.stderr, /scope "lab".* requires no signature/);
  });

  test('a signed pack whose layer blob was damaged in the store: digest_mismatch, not Verified', async () => {
    const home = await tempDir();
    await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home });
    await ok(['sign', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.key')], { home, env: PW });
    const good = JSON.parse(
      (await ok(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub'), '--json'], { home })).stdout,
    ) as { content: { checked: boolean; blobs: number } };
    assert.equal(good.content.checked, true);
    assert.ok(good.content.blobs >= 3, JSON.stringify(good.content));
    // damage the pack layer (the largest blob of the manifest), as a disk fault or a hand would
    const inspected = JSON.parse((await ok(['inspect', 'acme.fraud:1.2.0', '--json'], { home })).stdout) as {
      layers: Array<{ digest: string }>;
    };
    const layer = inspected.layers[0]?.digest ?? '';
    const file = join(home, 'catalog', 'blobs', 'sha256', layer.slice(7));
    const bytes = await readFile(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    const bad = expectError(
      await scrydon(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub')], { home }),
      'digest_mismatch',
    );
    assert.match(bad.stderr, /scrydon check/);
    assert.match(bad.stderr, new RegExp(layer.slice(7, 19)));
    // only the signed digest: says so plainly
    const shallow = await ok(['verify', 'acme.fraud:1.2.0', '--key', join(keys, 'cosign.pub'), '--no-check-content'], {
      home,
    });
    assert.match(shallow.stdout, /content: not checked/);
  });
});
