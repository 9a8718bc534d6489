import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanupTemps, expectError, FIXTURES, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { addOciSourceArgs, ociCatalog } from '../helpers/oci-catalog.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * Habits from docker, skopeo and oras (issue 20, "Habits"): each works, or fails as a usage error (exit 2) whose
 * hint names the scrydon way, and changes nothing. Plus the credential and error-reporting fixes the same trial
 * asked for: `source set-credential`, reconcile failures on stderr, filesystem errors on a user-given path.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const PASSWORD = 'habit-pw-never-print-me-7';
let registry: RunningRegistry;
let packHome: RunOptions & { home: string };

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir(), ...PW } };
}

/** index.json of a home's store, to show a refused command changed nothing. */
async function index(o: { home: string }): Promise<string> {
  const p = join(o.home, 'catalog', 'index.json');
  return existsSync(p) ? readFile(p, 'utf8') : '';
}

before(async () => {
  registry = await startRegistry();
  packHome = await env();
  await ok(['build', join(FIXTURES, 'packs', 'acme-core')], packHome);
  await ok(['build', join(FIXTURES, 'packs', 'acme-fraud')], packHome);
});

after(async () => {
  await registry?.stop();
  await cleanupTemps();
});

describe('docker and skopeo habits', () => {
  const usage: Array<[string, string[], RegExp, RegExp]> = [
    ['docker images', ['images'], /unknown command "images"/, /scrydon ls/],
    ['docker rmi', ['rmi', 'acme.fraud:1.2.0'], /unknown command "rmi"/, /scrydon rm REF/],
    [
      'skopeo --tls-verify=false',
      ['pull', '--tls-verify=false', '127.0.0.1:1/acme/fraud:1'],
      /unknown option --tls-verify for scrydon pull/,
      /--insecure .* --plain-http/,
    ],
    [
      'a typo in a flag',
      ['save', '--all', '--ouput', 'x.tar'],
      /unknown option --ouput for scrydon save/,
      /did you mean --output\?/,
    ],
    [
      'skopeo oci-archive: in copy',
      ['copy', 'oci-archive:/tmp/x.tar', 'oci:/tmp/y'],
      /copy does not take oci-archive:/,
      /scrydon load FILE/,
    ],
    ['skopeo dir: in copy', ['copy', 'dir:/tmp/x', 'oci:/tmp/y'], /copy does not take dir:/, /oci:PATH/],
    ['an oci: layout in pull', ['pull', 'oci:/tmp/x'], /pull does not take oci:/, /scrydon copy oci:PATH/],
    // a count that is not one used to pass through as NaN or 0 (a pull that never started a transfer)
    ...(['abc', '0', '2.5', '1000'] as const).flatMap((n): Array<[string, string[], RegExp, RegExp]> => [
      [
        `--concurrency ${n} in pull`,
        ['pull', 'localhost:1/x:1', '--concurrency', n],
        /--concurrency must be a whole number from 1 to 256/,
        /e\.g\. --concurrency 8/,
      ],
      [
        `--concurrency ${n} in reconcile`,
        ['reconcile', '--concurrency', n],
        /--concurrency must be a whole number from 1 to 256/,
        /e\.g\. --concurrency 8/,
      ],
    ]),
  ];
  for (const [what, args, message, hint] of usage) {
    test(`${what}: a usage error naming the scrydon way, nothing changed`, async () => {
      const before = await index(packHome);
      const r = expectError(await scrydon(args, packHome), 'usage', 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, hint);
      assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr); // one error line, one hint
      assert.equal(await index(packHome), before);
      assert.ok(!existsSync('x.tar'));
    });
  }

  test("pull and push take skopeo's docker:// form", async () => {
    const ref = `${registry.host}/habits/fraud:1.2.0`;
    await ok(['push', 'acme.fraud:1.2.0', `docker://${ref}`, '--plain-http'], packHome);
    const node = await env();
    const pulled = await json<{ tag: string; digest: string }>(
      ['pull', `docker://${ref}`, '--plain-http', '--json'],
      node,
    );
    assert.equal(pulled.tag, ref, 'stored under the registry name, without the scheme');
    const again = await json<{ target: string }>(['push', `docker://${ref}`, '--plain-http', '--json'], node);
    assert.equal(again.target, ref);
  });

  test('load takes the archive as a positional, as docker load -i and podman load do', async () => {
    const archive = join(await tempDir(), 'fraud.tar');
    await ok(['save', 'acme.fraud:1.2.0', '-o', archive], packHome);
    const node = await env();
    const r = await json<{ refs: Array<{ ref: string }> }>(['load', archive, '--json'], node);
    assert.deepEqual(r.refs.map((x) => x.ref).sort(), ['acme.core:1.0.0', 'acme.fraud:1.2.0'], 'with its dependency');
    const both = expectError(await scrydon(['load', archive, '-i', '/tmp/other.tar'], node), 'usage', 2);
    assert.match(both.stderr, /two archives given/);
  });

  test('save -o into a missing directory: io_error naming the path the user gave, nothing written', async () => {
    const dir = await tempDir();
    const out = join(dir, 'no', 'such', 'x.tar');
    const r = expectError(await scrydon(['save', 'acme.fraud:1.2.0', '-o', out], packHome), 'io_error');
    assert.match(r.stderr, new RegExp(`cannot open ${out.replace(/[/.]/g, '\\$&')}: no such file or directory`));
    assert.match(
      r.stderr,
      new RegExp(`hint: the directory ${join(dir, 'no', 'such').replace(/[/.]/g, '\\$&')} does not exist`),
    );
    assert.ok(!/\.tmp-/.test(r.stderr), 'the scratch name never shows');
    assert.ok(!existsSync(join(dir, 'no')));
  });
});

describe('source set-credential, and reconcile failures on stderr', () => {
  test('a wrong credential fails on stderr with the table on stdout; set-credential rotates it; --remove drops it', async () => {
    const priv = await startRegistry({ kind: 'htpasswd', users: { bot: PASSWORD } });
    try {
      const keys = await tempDir();
      const pub = await env();
      await ok(['key', 'generate', '--dir', keys], pub);
      await ok(['build', join(FIXTURES, 'packs', 'acme-core')], pub);
      await ok(['sign', 'acme.core:1.0.0', '--key', join(keys, 'cosign.key')], pub);
      const creds = ['--plain-http', '--username', 'bot', '--password-stdin'];
      const packRef = `${priv.host}/acme/core:1.0.0`;
      await ok(['push', 'acme.core:1.0.0', packRef, ...creds], { ...pub, input: PASSWORD });
      const file = join(await tempDir(), 'scrydon.yaml');
      await writeFile(
        file,
        ociCatalog([['acme.core', '1.0.0', packRef, 'cosign-key', await readFile(join(keys, 'cosign.pub'), 'utf8')]]),
      );
      await ok(['catalog', 'push', file, `${priv.host}/acme/catalog`, ...creds], { ...pub, input: PASSWORD });

      const node = await env();
      await ok(addOciSourceArgs('acme', `${priv.host}/acme/catalog`, join(keys, 'cosign.pub'), '--credential-stdin'), {
        ...node,
        input: `bot:wrong-${PASSWORD}`,
      });
      const sources = join(node.home, 'sources.yaml');
      const registered = await readFile(sources, 'utf8');
      const failed = await scrydon(['reconcile'], node);
      assert.equal(failed.code, 1);
      assert.match(failed.stdout, /acme: failed/, 'the per-source table stays on stdout');
      assert.match(failed.stderr, /^error\[fetch_failed\]: reconcile failed: source acme: auth_failed: /m);
      assert.match(failed.stderr, /refused the credentials from source acme/);
      assert.match(failed.stderr, /^hint: .*scrydon source set-credential acme --credential-stdin/m);
      assert.equal(failed.stderr.trim().split('\n').length, 2, failed.stderr);
      assert.ok(!failed.stderr.includes(PASSWORD) && !failed.stdout.includes(PASSWORD));

      // re-adding is refused, and the hint names the way to rotate
      const again = expectError(
        await scrydon(addOciSourceArgs('acme', `${priv.host}/acme/catalog`, join(keys, 'cosign.pub')), node),
        'source_exists',
      );
      assert.match(again.stderr, /source set-credential acme --credential-stdin/);

      // a credential of the wrong shape for an oci source is refused before anything changes
      expectError(
        await scrydon(['source', 'set-credential', 'acme', '--credential-stdin'], { ...node, input: 'no-colon' }),
        'usage',
        2,
      );
      assert.equal(await readFile(sources, 'utf8'), registered);

      const rotated = await scrydon(['source', 'set-credential', 'acme', '--credential-stdin'], {
        ...node,
        input: `bot:${PASSWORD}`,
      });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.ok(!rotated.stdout.includes(PASSWORD) && !rotated.stderr.includes(PASSWORD));
      assert.equal(
        await readFile(sources, 'utf8'),
        registered,
        'only the secret changed: the entry already said stored',
      );
      const r = await json<Array<{ outcome: string; packs: Array<{ id: string; outcome: string }> }>>(
        ['reconcile', '--json'],
        node,
      );
      assert.deepEqual(
        r.map((x) => x.packs.map((p) => `${p.id}=${p.outcome}`)),
        [['acme.core=installed']],
      );

      const removed = await json<{ removed: boolean }>(
        ['source', 'set-credential', 'acme', '--remove', '--json'],
        node,
      );
      assert.equal(removed.removed, true);
      assert.match(await readFile(sources, 'utf8'), /credential: none/);
      const anonymous = await scrydon(['reconcile', '--force'], node);
      assert.equal(anonymous.code, 1);
      assert.match(anonymous.stderr, /auth_failed/);
      const installed = await json<{ packs: Array<{ id: string }> }>(['installed', '--json'], node);
      assert.deepEqual(
        installed.packs.map((p) => p.id),
        ['acme.core'],
        'a failed run keeps what is installed',
      );
    } finally {
      await priv.stop();
    }
  });
});
