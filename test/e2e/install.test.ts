import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaType } from '../../src/oci/media-types.js';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { packEntries, samplePack, storeArtifact, storePack, storeSamplePack } from '../helpers/make-pack.js';

interface Record_ {
  id: string;
  version: string;
  digest: string;
  source: string;
  installedAt: string;
  status: string;
  contents: Array<{ kind: string; path: string }>;
}
interface InstallOut {
  action: 'installed' | 'replaced' | 'unchanged';
  record: Record_;
  previous?: Record_;
  dir: string;
}

describe('scrydon install / installed / uninstall', () => {
  let home: string;
  let packs: string;
  const digests: Record<string, string> = {};

  before(async () => {
    home = await tempDir();
    packs = join(home, 'packs');
    digests.v1 = (await storeSamplePack(home, 'scrydon')).digest;
    digests.v11 = (await storeSamplePack(home, 'scrydon', { version: '1.1.0', salt: 'second release' })).digest;
    digests.oras = (await storeSamplePack(home, 'oras', { id: 'acme.payments', version: '2.1.0' })).digest;
  });
  after(cleanupTemps);

  it('installs a pack under <root>/<id>/<version>/ and records it, in installOrder', async () => {
    const r = await json<InstallOut>(['install', 'acme.fraud:1.0.0'], { home });
    assert.equal(r.action, 'installed');
    const dir = join(packs, 'acme.fraud', '1.0.0');
    assert.equal(r.dir, dir);
    const { files } = samplePack();
    for (const [path, body] of Object.entries(files))
      assert.deepEqual(await readFile(join(dir, path)), Buffer.from(body));
    assert.equal(JSON.parse(await readFile(join(dir, 'pack.json'), 'utf8')).package.id, 'acme.fraud');
    assert.deepEqual(r.record.contents, [
      { kind: 'integration', path: 'integration/bundle.tar.gz' },
      { kind: 'ontology', path: 'ontology' },
    ]);
    // nothing is left beside the installed directory
    assert.deepEqual((await readdir(packs)).sort(), ['acme.fraud', 'installed.json']);
    assert.equal((await stat(join(dir, 'ontology', 'manifest.json'))).mode & 0o777, 0o644);
  });

  it('lists the record with installed --json and as a table', async () => {
    const r = await json<{ packs: Record_[] }>(['installed'], { home });
    assert.equal(r.packs.length, 1);
    const rec = r.packs[0] as Record_;
    assert.equal(rec.id, 'acme.fraud');
    assert.equal(rec.version, '1.0.0');
    assert.equal(rec.digest, digests.v1);
    assert.equal(rec.source, 'manual');
    assert.equal(rec.status, 'active');
    assert.ok(!Number.isNaN(Date.parse(rec.installedAt)));
    const t = await ok(['installed'], { home });
    assert.match(t.stdout, /ID\s+VERSION\s+DIGEST\s+SOURCE\s+STATUS\s+INSTALLED/);
    assert.match(
      t.stdout,
      new RegExp(`acme\\.fraud\\s+1\\.0\\.0\\s+${(digests.v1 as string).slice(7, 19)}\\s+manual\\s+active`),
    );
  });

  it('reinstalling the same digest is a no-op that changes nothing', async () => {
    const before_ = await treeHash(packs);
    const r = await json<InstallOut>(['install', 'acme.fraud:1.0.0'], { home });
    assert.equal(r.action, 'unchanged');
    assert.equal(await treeHash(packs), before_);
    const t = await ok(['install', digests.v1 as string], { home });
    assert.match(t.stdout, /already installed/);
    assert.equal(await treeHash(packs), before_);
  });

  it('a new version replaces the record and removes the old directory', async () => {
    const r = await json<InstallOut>(['install', 'acme.fraud:1.1.0'], { home });
    assert.equal(r.action, 'replaced');
    assert.equal(r.previous?.version, '1.0.0');
    assert.ok(existsSync(join(packs, 'acme.fraud', '1.1.0', 'ontology', 'manifest.json')));
    assert.ok(!existsSync(join(packs, 'acme.fraud', '1.0.0')));
    const { packs: list } = await json<{ packs: Record_[] }>(['installed'], { home });
    assert.deepEqual(
      list.map((p) => [p.id, p.version, p.digest]),
      [['acme.fraud', '1.1.0', digests.v11]],
    );
    assert.deepEqual((await readdir(packs)).sort(), ['acme.fraud', 'installed.json']);
  });

  it('installs an oras-shaped pack (pack.json only in the layer) beside it', async () => {
    const r = await json<InstallOut>(['install', 'acme.payments:2.1.0'], { home });
    assert.equal(r.action, 'installed');
    assert.ok(existsSync(join(packs, 'acme.payments', '2.1.0', 'integration', 'bundle.tar.gz')));
    const { packs: list } = await json<{ packs: Record_[] }>(['installed'], { home });
    assert.deepEqual(
      list.map((p) => p.id),
      ['acme.fraud', 'acme.payments'],
    );
  });

  it('uninstall removes the directory and the record; a second uninstall is not_installed', async () => {
    const r = await json<{ removed: Record_ }>(['uninstall', 'acme.payments'], { home });
    assert.equal(r.removed.version, '2.1.0');
    assert.ok(!existsSync(join(packs, 'acme.payments')));
    const { packs: list } = await json<{ packs: Record_[] }>(['installed'], { home });
    assert.deepEqual(
      list.map((p) => p.id),
      ['acme.fraud'],
    );
    const before_ = await treeHash(home);
    expectError(await scrydon(['uninstall', 'acme.payments'], { home }), 'not_installed');
    expectError(await scrydon(['uninstall', '../../etc'], { home }), 'not_installed');
    assert.equal(await treeHash(home), before_);
  });

  it('--root installs elsewhere; installed and uninstall take it too', async () => {
    const root = join(await tempDir(), 'elsewhere');
    const r = await json<InstallOut>(['install', 'acme.fraud:1.0.0', '--root', root], { home });
    assert.equal(r.dir, join(root, 'acme.fraud', '1.0.0'));
    assert.ok(existsSync(join(root, 'installed.json')));
    const { packs: list } = await json<{ packs: Record_[] }>(['installed', '--root', root], { home });
    assert.deepEqual(
      list.map((p) => [p.id, p.version]),
      [['acme.fraud', '1.0.0']],
    );
    await ok(['uninstall', 'acme.fraud', '--root', root], { home });
    assert.ok(!existsSync(join(root, 'acme.fraud')));
    // the default root was not touched
    const { packs: main } = await json<{ packs: Record_[] }>(['installed'], { home });
    assert.deepEqual(
      main.map((p) => [p.id, p.version]),
      [['acme.fraud', '1.1.0']],
    );
  });

  it('keeps executable bits, drops setuid and write bits for others', async () => {
    const h = await tempDir();
    const { packJson, files } = samplePack({ id: 'acme.tools' });
    const entries = packEntries(packJson, files).map((e) =>
      e.name === 'ontology/manifest.json'
        ? { ...e, mode: 0o4777 }
        : e.name === 'integration/bundle.tar.gz'
          ? { ...e, mode: 0o666 }
          : e,
    );
    await storePack(h, { shape: 'scrydon', packJson, entries, tag: 'acme.tools:1.0.0' });
    const r = await json<InstallOut>(['install', 'acme.tools:1.0.0'], { home: h });
    assert.equal((await stat(join(r.dir, 'ontology', 'manifest.json'))).mode & 0o7777, 0o755);
    assert.equal((await stat(join(r.dir, 'integration', 'bundle.tar.gz'))).mode & 0o7777, 0o644);
  });

  it('a pack of 200 files installs every one whole (past the handles kept open from write to fsync)', async () => {
    const h = await tempDir();
    const { packJson, files } = samplePack({ id: 'acme.wide' });
    const many: Record<string, string> = {};
    for (let i = 0; i < 200; i++) many[`ontology/classes/c${String(i).padStart(3, '0')}.yaml`] = `name: C${i}\n`;
    await storePack(h, {
      shape: 'scrydon',
      packJson,
      entries: packEntries(packJson, { ...files, ...many }),
      tag: 'acme.wide:1.0.0',
    });
    await ok(['install', 'acme.wide:1.0.0'], { home: h });
    const dir = join(h, 'packs', 'acme.wide', '1.0.0');
    for (const [path, body] of Object.entries({ ...files, ...many }))
      assert.deepEqual(await readFile(join(dir, path)), Buffer.from(body), path);
    assert.equal((await readdir(join(dir, 'ontology', 'classes'))).length, 201);
  });

  it('concurrent installs lose no record and leave no staging directory', async () => {
    const h = await tempDir();
    const ids = ['acme.alpha', 'acme.beta', 'acme.gamma'];
    await storeSamplePack(h, 'scrydon');
    for (const id of ids) await storeSamplePack(h, 'scrydon', { id });
    const same = await Promise.all(
      Array.from({ length: 4 }, () => json<InstallOut>(['install', 'acme.fraud:1.0.0'], { home: h })),
    );
    assert.equal(same.filter((r) => r.action === 'installed').length, 1, JSON.stringify(same.map((r) => r.action)));
    assert.equal(same.filter((r) => r.action === 'unchanged').length, 3);
    await Promise.all(ids.map((id) => ok(['install', `${id}:1.0.0`], { home: h })));
    const { packs: list } = await json<{ packs: Record_[] }>(['installed'], { home: h });
    assert.deepEqual(
      list.map((p) => p.id),
      ['acme.alpha', 'acme.beta', 'acme.fraud', 'acme.gamma'],
    );
    assert.deepEqual((await readdir(join(h, 'packs'))).sort(), [...ids, 'acme.fraud', 'installed.json'].sort());
  });

  describe('refusals that leave SCRYDON_HOME unchanged', () => {
    async function refused(h: string, ref: string, code: string): Promise<void> {
      const before_ = await treeHash(h);
      expectError(await scrydon(['install', ref], { home: h }), code);
      assert.equal(await treeHash(h), before_, 'SCRYDON_HOME changed');
    }

    it('a plain image is not a pack', async () => {
      const h = await tempDir();
      await storeArtifact(h, {
        config: { mediaType: MediaType.ociConfig, bytes: Buffer.from('{"architecture":"amd64","os":"linux"}') },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: Buffer.from('x') }],
        tag: 'busybox:1',
      });
      await refused(h, 'busybox:1', 'unsupported_media_type');
    });

    it('a contents path missing from the pack', async () => {
      const h = await tempDir();
      const { packJson, files } = samplePack();
      const { ['integration/bundle.tar.gz']: _gone, ...rest } = files;
      await storePack(h, { shape: 'scrydon', packJson, entries: packEntries(packJson, rest), tag: 'acme.fraud:1.0.0' });
      await refused(h, 'acme.fraud:1.0.0', 'pack_invalid');
    });

    it('an integration bundle over 8 MiB', async () => {
      const h = await tempDir();
      const { packJson, files } = samplePack();
      const { ['integration/bundle.tar.gz']: _big, ...rest } = files;
      const entries = [
        ...packEntries(packJson, rest),
        { name: 'integration/', type: 'directory' as const },
        { name: 'integration/bundle.tar.gz', zeros: 8 * 1024 * 1024 + 1 },
      ];
      await storePack(h, { shape: 'scrydon', packJson, entries, tag: 'acme.fraud:1.0.0' });
      await refused(h, 'acme.fraud:1.0.0', 'size_limit_exceeded');
    });

    it('a config and a layer pack.json that name different packs', async () => {
      const h = await tempDir();
      const { packJson, files } = samplePack();
      const other = samplePack({ id: 'evil.twin' }).packJson;
      await storePack(h, { shape: 'scrydon', packJson, entries: packEntries(other, files), tag: 'acme.fraud:1.0.0' });
      await refused(h, 'acme.fraud:1.0.0', 'pack_invalid');
    });

    it('over an existing install, a failure keeps the installed version and record', async () => {
      const h = await tempDir();
      await storeSamplePack(h, 'scrydon');
      await ok(['install', 'acme.fraud:1.0.0'], { home: h });
      const { packJson, files } = samplePack({ version: '1.2.0' });
      await storePack(h, {
        shape: 'scrydon',
        packJson,
        entries: [...packEntries(packJson, files), { name: 'ontology/x', type: 'symlink', linkname: '/etc/passwd' }],
        tag: 'acme.fraud:1.2.0',
      });
      await refused(h, 'acme.fraud:1.2.0', 'unsafe_entry');
      assert.deepEqual(await readdir(join(h, 'packs')), ['acme.fraud', 'installed.json'].sort());
    });

    it('a damaged installed.json is reported, not overwritten', async () => {
      const h = await tempDir();
      await storeSamplePack(h, 'scrydon');
      await ok(['install', 'acme.fraud:1.0.0'], { home: h });
      await writeFile(join(h, 'packs', 'installed.json'), '{"schemaVersion":1,"packs":{"x.y":{"id":"../../etc"}}}');
      expectError(await scrydon(['installed'], { home: h }), 'state_invalid');
      await refused(h, 'acme.fraud:1.0.0', 'state_invalid');
    });
  });
});
