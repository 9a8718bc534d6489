import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupTemps, json, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { assertStoreConsistent, bytesIn, killWhen, startScrydon, storeTags, type Killable } from '../helpers/kill.js';
import { publishCatalog } from '../helpers/oci-catalog.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * The crash sweep beyond load (load-kill.test.ts): pull, reconcile (while mirroring, while installing) and
 * install, each SIGKILLed mid-way. The store stays valid (no new tag, blobs match their names, `check` clean),
 * the install root keeps its state, and a rerun completes. A blob transfer is killed at an exact instant: a
 * proxy holds the layer's body after CUT bytes and kills the client there; an install is killed once its
 * staging directory fills.
 */

const CUT = 2 * 1024 * 1024;
let registry: RunningRegistry;
let proxy: RunningProxy;
let layer = '';
let digest = '';
/** The process the proxy kills when it reaches CUT bytes of the layer. */
let victim: Killable | undefined;
const ID = 'acme.big';
const REF = `${ID}:1.0.0`;

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { SCRYDON_CREDENTIAL_STORE: 'file', HOME: await tempDir() } };
}

/**
 * A pack of `files` incompressible 32 KiB files (~9.6 MiB packed for 300): large enough to cut mid-layer, and
 * slow enough to install (each file is fsynced) that a kill lands mid-way.
 */
async function packDir(files: number, id = ID): Promise<string> {
  const dir = await tempDir();
  const pj = {
    schemaVersion: 1,
    package: { id, version: '1.0.0' },
    contents: [{ kind: 'ontology', path: 'ontology' }],
    installOrder: ['ontology'],
  };
  await writeFile(join(dir, 'pack.json'), JSON.stringify(pj));
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'ontology', `d${Math.floor(i / 100)}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${i}.bin`), randomBytes(32 * 1024));
  }
  return dir;
}

/** Installed pack ids of a home (installed.json must parse). */
async function installedIds(o: RunOptions): Promise<string[]> {
  return (await json<{ packs: Array<{ id: string }> }>(['installed'], o)).packs.map((p) => p.id);
}

/** Files extracted so far into the install root's staging directories. */
async function stagedFiles(packs: string): Promise<number> {
  let n = 0;
  for (const s of (await readdir(packs).catch(() => [] as string[])).filter((x) => x.startsWith('.staging-'))) {
    for (const d of await readdir(join(packs, s, 'ontology')).catch(() => [] as string[]))
      n += (await readdir(join(packs, s, 'ontology', d)).catch(() => [])).length;
  }
  return n;
}

/** A killed reconcile's store lock goes stale 30 s after its last refresh; age it instead of waiting. */
async function ageReconcileLock(home: string): Promise<void> {
  const old = new Date(Date.now() - 60_000);
  await utimes(join(home, 'state', 'reconcile.lock'), old, old).catch(() => undefined);
}

before(async () => {
  registry = await startRegistry();
  proxy = await startProxy({
    upstream: registry.host,
    cutAfter: CUT,
    cutEvery: true,
    cutWhen: (req) => req.method === 'GET' && victim !== undefined && (req.url?.endsWith(`/blobs/${layer}`) ?? false),
    onCut: async () => {
      await victim?.kill();
    },
  });
  const p = await env();
  const built = await json<{ digest: string }>(['build', await packDir(300)], p);
  digest = built.digest;
  const [l] = (await json<{ layers: Array<{ digest: string; size: number }> }>(['inspect', REF], p)).layers;
  layer = l?.digest ?? '';
  assert.ok((l?.size ?? 0) > 4 * CUT, 'the layer is too small to be cut mid-way');
  await ok(['push', REF, `${registry.host}/acme/big:1.0.0`, '--plain-http'], p);
});

after(async () => {
  await proxy?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('SIGKILL mid-way, then a rerun', () => {
  test('pull killed mid-blob: no tag, check clean, a rerun completes, gc clears the partial blob', async () => {
    const o = await env();
    await ok(['build', await packDir(1, 'acme.small')], o);
    const tagsBefore = await storeTags(o.home);
    const ref = `${proxy.host}/acme/big:1.0.0`;
    victim = startScrydon(['pull', ref, '--plain-http'], o);
    assert.equal(await victim.exited, 'SIGKILL', 'the pull was not killed mid-blob');
    victim = undefined;
    await assertStoreConsistent(o.home, tagsBefore);
    const ingest = join(o.home, 'catalog', 'ingest');
    assert.ok((await bytesIn(ingest)) > 0, 'the killed pull left no partial blob (not killed mid-blob?)');

    await ok(['pull', ref, '--plain-http'], o);
    assert.equal((await storeTags(o.home))[ref], digest);
    await ok(['check'], o);
    await ok(['gc', '--grace', '0'], o);
    assert.deepEqual(await readdir(ingest), [], "gc left the killed pull's temp file");
  });

  test('reconcile killed while mirroring, then while installing: no pack installed, no lock, check clean; a rerun installs', async () => {
    await publishCatalog(
      registry.host,
      'acme/catalog',
      'catalog',
      [
        'apiVersion: scrydon.io/v1',
        'kind: PackCatalog',
        'packs:',
        `  - {id: ${ID}, version: 1.0.0, artifact: {kind: oci, ref: "${proxy.host}/acme/big:1.0.0"}, signature: {kind: none}}`,
        '',
      ].join('\n'),
    );
    const o = await env();
    await ok(
      [
        'source',
        'add',
        'reg',
        '--type',
        'oci',
        '--url',
        `${proxy.host}/acme/catalog`,
        '--plain-http',
        '--signature-policy',
        'unsigned-allowed',
      ],
      o,
    );
    const sourcesBefore = await readFile(join(o.home, 'sources.yaml'), 'utf8');

    // 1. mirroring: killed by the proxy mid-layer
    victim = startScrydon(['reconcile'], o);
    assert.equal(await victim.exited, 'SIGKILL', 'the reconcile was not killed mid-blob');
    victim = undefined;
    const tagsMirroring = await storeTags(o.home);
    assert.ok(!Object.keys(tagsMirroring).some((t) => t.includes('acme/big')), 'a tag of the killed mirror is visible');
    await assertStoreConsistent(o.home, tagsMirroring);
    assert.deepEqual(await installedIds(o), []);
    assert.equal(await readFile(join(o.home, 'sources.yaml'), 'utf8'), sourcesBefore);
    await assert.rejects(readFile(join(o.home, 'state', 'reg.lock.json')), { code: 'ENOENT' });

    // 2. installing: the layer is mirrored by a run with the cut off, then a reconcile is killed mid-extraction
    await ok(['pull', `${proxy.host}/acme/big:1.0.0`, '--plain-http'], o);
    await ageReconcileLock(o.home);
    const tagsInstalling = await storeTags(o.home);
    const packs = join(o.home, 'packs');
    const rec = startScrydon(['reconcile'], o);
    await killWhen(rec, async () => (await stagedFiles(packs)) >= 50, 'mid-install');
    await assertStoreConsistent(o.home, tagsInstalling);
    assert.deepEqual(await installedIds(o), []);
    await assert.rejects(readFile(join(o.home, 'state', 'reg.lock.json')), { code: 'ENOENT' });
    assert.ok(
      (await readdir(packs)).some((n) => n.startsWith('.staging-')),
      'no staging directory left (not killed mid-install?)',
    );

    // a rerun (once the dead run's store lock is stale) installs, and leaves nothing beside the installed pack
    await ageReconcileLock(o.home);
    const r = await scrydon(['reconcile', '--json'], o);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(await installedIds(o), [ID]);
    await ok(['check'], o);
    await ok(['gc', '--grace', '0'], o);
    assert.deepEqual(
      (await readdir(packs)).sort(),
      [ID, 'installed.json'],
      "the killed install's staging directory is still there",
    );
  });

  test('install killed mid-extraction: installed.json unchanged, nothing half-installed; a rerun installs', async () => {
    const o = await env();
    await ok(['pull', `${registry.host}/acme/big:1.0.0`, '--plain-http'], o);
    await ok(['tag', `${registry.host}/acme/big:1.0.0`, REF], o);
    const packs = join(o.home, 'packs');
    const tagsBefore = await storeTags(o.home);
    const inst = startScrydon(['install', REF], o);
    await killWhen(inst, async () => (await stagedFiles(packs)) >= 50, 'mid-extraction');
    await assertStoreConsistent(o.home, tagsBefore);
    assert.deepEqual(await installedIds(o), []);
    assert.ok(!(await readdir(packs)).includes(ID), 'a half-installed pack directory is visible');

    await ok(['install', REF], o);
    assert.deepEqual(await installedIds(o), [ID]);
    await ok(['gc', '--grace', '0'], o);
    assert.deepEqual(
      (await readdir(packs)).sort(),
      [ID, 'installed.json'],
      "the killed install's staging directory is still there",
    );
  });
});
