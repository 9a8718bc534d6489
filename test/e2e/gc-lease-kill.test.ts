import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, cleanupTemps, json, ok, tempDir } from '../helpers/cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';
import { seedPack } from '../helpers/seed-store.js';

/**
 * A writer killed with SIGKILL while it holds its lease (issue 14): a pull that found one of its blobs already in
 * the store (unreferenced: its tag was removed) and skipped it, then stalls on another blob behind a proxy that
 * never answers. While it lives, `gc --grace 0` keeps the blob it holds; once it is killed, its lease has expired
 * (its pid is gone) and the next `gc --grace 0` frees that blob, the lease and the staging area; a rerun completes.
 */

interface GcJson {
  removed: Array<{ digest: string }>;
  keptLeased: number;
  leases: number;
  expiredLeases: number;
  cleanedTemp: number;
}

const present = (home: string, digest: string) =>
  access(join(home, 'catalog', 'blobs', 'sha256', digest.slice(7))).then(
    () => true,
    () => false,
  );

async function leaseText(home: string): Promise<string> {
  const dir = join(home, 'catalog', 'leases');
  let text = '';
  for (const n of await readdir(dir).catch(() => [] as string[]))
    text += await readFile(join(dir, n), 'utf8').catch(() => '');
  return text;
}

describe('a writer killed while it holds its lease', () => {
  let registry: RunningRegistry;
  let proxy: RunningProxy;
  let home: string;
  let shared: string;
  let stalled: string;
  const REPO = 'acme/big';

  before(async () => {
    registry = await startRegistry();
    const seed = await tempDir();
    home = await tempDir();
    const work = await tempDir();
    // the store holds a layer (of acme.old) that the pulled artifact shares; untagged, nothing references it
    const old = await seedPack(join(home, 'catalog'), 'acme.old:1.0.0', join(work, 'old'), { layers: [64 * 1024] });
    shared = old.layers[0]?.digest as string;
    await ok(['rm', 'acme.old:1.0.0'], { home });
    // the registry's artifact: that layer, and a 2 MiB one the proxy never serves
    const big = await seedPack(join(seed, 'catalog'), 'acme.big:1.0.0', join(work, 'big'), {
      layerFiles: old.layerFiles,
      layers: [2 * 1024 * 1024],
    });
    stalled = big.layers[1]?.digest as string;
    await ok(['push', 'acme.big:1.0.0', `${registry.host}/${REPO}:1.0.0`, '--plain-http'], { home: seed });
    proxy = await startProxy({
      upstream: registry.host,
      // a GET of the big layer is never answered (until the proxy closes)
      respond: (req) => (req.method === 'GET' && req.url?.includes(stalled) ? new Promise(() => undefined) : undefined),
    });
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    await cleanupTemps();
  });

  it('keeps what the lease holds while the writer lives, frees it after a kill -9, and the rerun completes', async () => {
    const child = spawn(process.execPath, [BIN, 'pull', `${proxy.host}/${REPO}:1.0.0`, '--plain-http'], {
      env: { ...process.env, SCRYDON_HOME: home },
      stdio: 'ignore',
    });
    const exited = new Promise<string>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)),
    );
    try {
      // the pull waits for the big layer, and holds the shared one (found present, skipped)
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null && proxy.count('GET', new RegExp(stalled)) === 0)
        await sleep(20);
      while (Date.now() < deadline && !(await leaseText(home)).includes(shared)) await sleep(20);
      assert.ok(child.exitCode === null, 'the pull ended before it could be caught holding its lease');

      const during = await json<GcJson>(['gc', '--grace', '0'], { home });
      assert.ok(await present(home, shared), 'gc --grace 0 deleted a blob a running writer holds');
      assert.ok((await leaseText(home)).includes(shared), 'the pull holds no lease on the layer it found present');
      assert.ok(during.keptLeased >= 1 && during.leases === 1, JSON.stringify(during));
      assert.ok(!during.removed.some((r) => r.digest === shared));
      assert.ok(
        (await readdir(join(home, 'catalog', 'ingest'))).some((n) => n.startsWith('load-')),
        'the running pull keeps its staging area',
      );
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');

    // the lease died with its process: the blob, the lease file and the staging area all go
    const afterKill = await json<GcJson>(['gc', '--grace', '0'], { home });
    assert.equal(afterKill.expiredLeases, 1, JSON.stringify(afterKill));
    assert.ok(
      afterKill.removed.some((r) => r.digest === shared),
      JSON.stringify(afterKill),
    );
    assert.ok(!(await present(home, shared)));
    assert.deepEqual(await readdir(join(home, 'catalog', 'leases')), []);
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), []);
    await ok(['check'], { home });

    // the rerun (straight from the registry) completes, and the store checks clean
    await ok(['pull', `${registry.host}/${REPO}:1.0.0`, '--plain-http'], { home });
    assert.ok((await present(home, shared)) && (await present(home, stalled)));
    await ok(['check'], { home });
    assert.deepEqual(await readdir(join(home, 'catalog', 'leases')), []);
  });
});
