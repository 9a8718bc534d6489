import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServe } from '../helpers/serve.js';
import {
  cleanupTemps,
  expectError,
  FIXTURES,
  have,
  json,
  ok,
  scrydon,
  tempDir,
  type RunOptions,
} from '../helpers/cli.js';

/**
 * Issue 21: receipts travel through save/load. save carries the store's receipts files of what it saves beside the
 * layout (receipts/<hex>.jsonl); load keeps them apart (receipts/carried/), stamped with the archive they came in,
 * so inspect shows them as carried and nothing takes them for a verification on this machine: the site does not
 * re-sign on a carried receipt. skopeo reads the archive as before.
 */

const PW = { COSIGN_PASSWORD: 'pw' };
const REF = 'acme.core:1.0.0';

interface Carried {
  archive: string;
  loadedAt: string;
  hops: number;
}
interface Inspected {
  digest: string;
  receipts: Array<{ signer: { fingerprint?: string } }>;
  carriedReceipts: Array<{ digest: string; signer: { fingerprint?: string }; carried: Carried }>;
  attestationReceipts: unknown[];
}

let keys: string;
let a: RunOptions & { home: string };
let digest: string;
let archive: string;

async function home(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { ...PW, HOME: await tempDir() } };
}

before(async () => {
  keys = await tempDir();
  await ok(['key', 'generate', '--dir', keys], { env: PW });
  a = await home();
  digest = (await json<{ digest: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], a)).digest;
  await ok(['sign', REF, '--key', join(keys, 'cosign.key')], a);
  await ok(['verify', REF, '--key', join(keys, 'cosign.pub')], a);
  archive = join(await tempDir(), 'core.tar');
  await ok(['save', REF, '-o', archive], a);
});
after(cleanupTemps);

test("save carries the store's receipts beside the layout; skopeo still reads the archive", async () => {
  const hex = digest.slice('sha256:'.length);
  const list = spawnSync('tar', ['-tf', archive], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(list.includes(`receipts/${hex}.jsonl`), list.join(' '));
  const inTar = spawnSync('tar', ['-xOf', archive, `receipts/${hex}.jsonl`], { encoding: 'utf8' }).stdout;
  assert.equal(inTar, await readFile(join(a.home, 'catalog', 'receipts', `${hex}.jsonl`), 'utf8'));
  // --no-receipts: the layout alone, as scrydon wrote archives before receipts travelled
  const bare = join(await tempDir(), 'bare.tar');
  await ok(['save', REF, '--no-receipts', '-o', bare], a);
  const bareList = spawnSync('tar', ['-tf', bare], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(bareList, /receipts/);
  if (!have('skopeo')) return;
  const raw = spawnSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}:${REF}`], { encoding: 'utf8' });
  assert.equal(raw.status, 0, raw.stderr);
  assert.equal(raw.stdout, await readFile(join(a.home, 'catalog', 'blobs', 'sha256', hex), 'utf8'));
  const dir = join(await tempDir(), 'oci');
  const copy = spawnSync('skopeo', ['copy', '-q', `oci-archive:${archive}:${REF}`, `oci:${dir}:${REF}`], {
    encoding: 'utf8',
  });
  assert.equal(copy.status, 0, copy.stderr);
});

test('load keeps them as carried: inspect shows them apart; a second load adds nothing', async () => {
  const b = await home();
  const loaded = await json<{ receipts: number }>(['load', '-i', archive], b);
  assert.equal(loaded.receipts, 1);
  const i = await json<Inspected>(['inspect', REF], b);
  assert.deepEqual(i.receipts, [], 'no verification on this machine');
  assert.equal(i.carriedReceipts.length, 1);
  const [c] = i.carriedReceipts;
  assert.equal(c?.digest, digest);
  assert.deepEqual([c?.carried.archive, c?.carried.hops], [archive, 1]);
  assert.deepEqual(await readdir(join(b.home, 'catalog', 'receipts')), ['carried']);
  const text = (await ok(['inspect', REF], b)).stdout;
  assert.match(text, /Verification receipts \(0\):/);
  assert.match(
    text,
    /Carried verification receipts \(1, made elsewhere; not verified here\):\n.*carried \(archive .*core\.tar/,
  );

  // the catalog page does not call it verified here
  const served = await startServe(b.home, [], b.env);
  try {
    const res = await fetch(`${served.url}/api/pack?ref=${encodeURIComponent(REF)}`);
    const detail = (await res.json()) as { signature: { status: string } };
    assert.equal(detail.signature.status, 'unverified');
  } finally {
    await served.stop();
  }

  const again = await json<{ receipts: number }>(['load', '-i', archive], b);
  assert.equal(again.receipts, 0, 'the same receipt is recorded once');

  // carried on: b saves, c loads; the receipt is 2 archives away from where it was made
  const onward = join(await tempDir(), 'onward.tar');
  await ok(['save', REF, '-o', onward], b);
  const c2 = await home();
  await ok(['load', '-i', onward], c2);
  const i2 = await json<Inspected>(['inspect', REF], c2);
  assert.deepEqual([i2.carriedReceipts[0]?.carried.archive, i2.carriedReceipts[0]?.carried.hops], [onward, 2]);

  // verified here too: a local receipt beside the carried one
  await ok(['verify', REF, '--key', join(keys, 'cosign.pub')], b);
  const i3 = await json<Inspected>(['inspect', REF], b);
  assert.deepEqual([i3.receipts.length, i3.carriedReceipts.length], [1, 1]);
});

test('the site re-signs only what this machine verified: a carried receipt is not enough', async () => {
  const b = await home();
  await ok(['load', '-i', archive], b);
  const siteKeys = await tempDir();
  await ok(['key', 'generate', '--dir', siteKeys], { env: PW });
  const r = await scrydon(
    ['publish', '127.0.0.1:9/site/packs', '--plain-http', '--sign-key', join(siteKeys, 'cosign.key')],
    b,
  );
  expectError(r, 'verify_failed');
  assert.match(r.stderr, /acme\.core 1\.0\.0 .*no verification receipt/);
});
