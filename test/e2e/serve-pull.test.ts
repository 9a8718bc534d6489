import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, FIXTURES, json, ok, scrydon, tempDir } from '../helpers/cli.js';
import { http, startServe, type RunningServe } from '../helpers/serve.js';

/**
 * The air-gap round: one scrydon serves its store, another pulls from it with `scrydon pull` — packs and their
 * signatures (a Sigstore bundle referrer on one, a legacy .sig tag on the other) — and verifies them offline
 * with the public key.
 */

interface PullResult {
  tag: string;
  digest: string;
  referrers: number;
}

describe('scrydon pulls from another scrydon serve, signatures included, and verifies them', () => {
  let server: string;
  let keys: string;
  let serve: RunningServe;
  let digest: string;
  let core: string;
  const env = { COSIGN_PASSWORD: 'airgap' };

  before(async () => {
    server = await tempDir();
    keys = await tempDir();
    digest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-fraud')], { home: server }))
      .digest;
    await ok(['key', 'generate', '--dir', keys], { home: server, env });
    await ok(['sign', `acme.fraud@${digest}`, '--key', join(keys, 'cosign.key')], { home: server, env });
    core = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home: server })).digest;
    await ok(['sign', `acme.core@${core}`, '--key', join(keys, 'cosign.key'), '--legacy'], { home: server, env });
    serve = await startServe(server);
  });
  after(async () => {
    await serve?.stop();
    await cleanupTemps();
  });

  test('pull brings the packs and their signatures; verify --key passes offline', async () => {
    const client = await tempDir();
    const fraud = `${serve.host}/acme.fraud:1.2.0`;
    const coreRef = `${serve.host}/acme.core:1.0.0`;
    const pulled = await json<PullResult>(['pull', fraud, '--plain-http'], { home: client });
    assert.equal(pulled.digest, digest);
    assert.ok(pulled.referrers >= 1, 'the bundle referrer came along');
    assert.equal((await json<PullResult>(['pull', coreRef, '--plain-http'], { home: client })).digest, core);
    const tags = (await json<Array<{ ref: string }>>(['ls'], { home: client })).map((e) => e.ref);
    assert.ok(tags.includes(fraud) && tags.includes(coreRef));
    assert.ok(tags.includes(`${serve.host}/acme.core:sha256-${core.slice(7)}.sig`), 'the legacy .sig tag came along');

    await serve.stop(); // offline from here on
    type Verified = { digest: string; verified: Array<{ format: string; signer: { kind: string } }> };
    const v1 = await json<Verified>(['verify', fraud, '--key', join(keys, 'cosign.pub')], { home: client });
    assert.equal(v1.digest, digest);
    assert.deepEqual(
      v1.verified.map((v) => [v.format, v.signer.kind]),
      [['bundle', 'key']],
    );
    const v2 = await json<Verified>(['verify', coreRef, '--key', join(keys, 'cosign.pub')], { home: client });
    assert.equal(v2.digest, core);
    assert.deepEqual(
      v2.verified.map((v) => [v.format, v.signer.kind]),
      [['legacy', 'key']],
    );

    const stranger = await tempDir();
    await ok(['key', 'generate', '--dir', stranger], { home: client, env });
    const refused = await scrydon(['verify', fraud, '--key', join(stranger, 'cosign.pub')], { home: client });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /error\[(key_mismatch|signature_invalid)\]/);
  });

  test('the serving side shows the pack as signed but not verified until it verifies it itself', async () => {
    const again = await startServe(server);
    try {
      const before = JSON.parse((await http(`${again.url}/api/packs`)).body.toString('utf8')) as {
        packs: Array<{ versions: Array<{ signature: { status: string; signatures?: number } }> }>;
      };
      assert.equal(before.packs[1]?.versions[0]?.signature.status, 'unverified');
      assert.equal(before.packs[1]?.versions[0]?.signature.signatures, 1);
      await ok(['verify', `acme.fraud@${digest}`, '--key', join(keys, 'cosign.pub')], { home: server });
      const after = JSON.parse((await http(`${again.url}/api/packs`)).body.toString('utf8')) as {
        packs: Array<{ versions: Array<{ signature: { status: string; signers: string[] } }> }>;
      };
      assert.equal(after.packs[1]?.versions[0]?.signature.status, 'verified');
      assert.match(after.packs[1]?.versions[0]?.signature.signers[0] ?? '', /^key sha256:/);
    } finally {
      await again.stop();
    }
  });
});
