import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LayoutPaths } from '../../src/store/layout.js';
import { removeStaleStaging } from '../../src/store/staging.js';
import { BIN, cleanupTemps, ok, tempDir } from '../helpers/cli.js';
import { seedPack } from '../helpers/seed-store.js';

async function tags(home: string): Promise<Record<string, string>> {
  const idx = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  return Object.fromEntries(
    idx.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name']).map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest]),
  );
}

/** Every visible blob's content matches its name. */
async function assertBlobsValid(home: string): Promise<number> {
  const dir = join(home, 'catalog', 'blobs', 'sha256');
  const names = await readdir(dir);
  for (const n of names) {
    const h = createHash('sha256');
    for await (const c of createReadStream(join(dir, n), { highWaterMark: 1 << 20 })) h.update(c as Buffer);
    assert.equal(h.digest('hex'), n, `blob ${n} does not match its name`);
  }
  return names.length;
}

/** Bytes written so far into the staging area's temp files (the load is mid-copy once this grows). */
async function stagedBytes(ingest: string): Promise<number> {
  let total = 0;
  for (const s of (await readdir(ingest)).filter((n) => n.startsWith('load-') && !n.endsWith('.lock'))) {
    for (const sub of ['ingest', join('blobs', 'sha256')]) {
      const d = join(ingest, s, sub);
      for (const f of await readdir(d).catch(() => [] as string[])) total += (await stat(join(d, f)).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}

describe('a load killed with SIGKILL mid-way', () => {
  let src: string;
  let dst: string;
  let archive: string;
  const REF = 'acme.big:1.0.0';

  before(async () => {
    src = await tempDir();
    dst = await tempDir();
    const work = await tempDir();
    await seedPack(join(src, 'catalog'), REF, join(work, 'seed'), { layers: [200 * 1024 * 1024] });
    archive = join(work, 'big.tar');
    await ok(['save', REF, '-o', archive], { home: src });
    await seedPack(join(dst, 'catalog'), 'acme.small:1.0.0', join(work, 'seed2'));
  });
  after(cleanupTemps);

  it('leaves a valid store with no new tag, and a rerun completes', async () => {
    const before = await tags(dst);
    const paths = new LayoutPaths(join(dst, 'catalog'));
    const child = spawn(process.execPath, [BIN, 'load', '-i', archive], { env: { ...process.env, SCRYDON_HOME: dst }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    const deadline = Date.now() + 60_000;
    while (!done && Date.now() < deadline && (await stagedBytes(paths.ingest)) < 20 * 1024 * 1024) await sleep(10);
    assert.ok(!done, 'the load finished before it could be killed mid-way');
    child.kill('SIGKILL');
    assert.equal(await exited, null);

    // valid: index.json parses, no new tag, every visible blob matches its name, the partial blob is not visible
    assert.deepEqual(await tags(dst), before);
    const visible = await assertBlobsValid(dst);
    assert.ok((await readdir(paths.ingest)).some((n) => n.startsWith('load-')), 'the killed load left no staging dir (not killed mid-copy?)');

    // a rerun completes
    await ok(['load', '-i', archive], { home: dst });
    assert.ok((await tags(dst))[REF]);
    assert.ok((await assertBlobsValid(dst)) > visible);

    // the killed load's staging dir is removed once it is old and its lock is stale
    const old = new Date(Date.now() - 60 * 60_000);
    for (const n of await readdir(paths.ingest)) await utimes(join(paths.ingest, n), old, old);
    const removed = await removeStaleStaging(paths);
    assert.equal(removed.length, 1);
    assert.deepEqual(await readdir(paths.ingest), []);
  });
});
