import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { cleanupTemps, expectError, FIXTURES, have, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';

/**
 * `scrydon build`: deterministic bytes and digests whatever the files' mtimes, modes and creation order;
 * the OCI artifact it stores (and that skopeo reads); .scrydonignore; and every input it must refuse
 * (links out of the pack, dangling links, devices, FIFOs, sockets, oversize bundles) leaving the store as it was.
 */

const PACKS = join(FIXTURES, 'packs');

interface BuildJson {
  refs: string[];
  digest: string;
  size: number;
  id: string;
  version: string;
  layer?: string;
}

interface TarListing {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  body: Buffer;
}

async function listTarGz(bytes: Buffer): Promise<TarListing[]> {
  const out: TarListing[] = [];
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({
          name: h.name,
          type: h.type ?? 'file',
          mode: h.mode ?? 0,
          uid: h.uid ?? -1,
          gid: h.gid ?? -1,
          uname: h.uname ?? '',
          gname: h.gname ?? '',
          mtime: (h.mtime?.getTime() ?? -1) / 1000,
          body: Buffer.concat(chunks),
        });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(bytes));
  await done;
  return out;
}

/** Copies a fixture pack file by file, in the given order, with chosen modes and mtimes. */
async function copyPack(
  src: string,
  dst: string,
  o: { reverse?: boolean; mtime?: Date; fileMode?: number; execMode?: number } = {},
): Promise<void> {
  const files: string[] = [];
  const dirs: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const d of await readdir(join(src, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        dirs.push(r);
        await walk(r);
      } else files.push(r);
    }
  }
  await walk('');
  if (o.reverse) {
    files.reverse();
    dirs.reverse();
  }
  await mkdir(dst, { recursive: true });
  for (const d of dirs) await mkdir(join(dst, d), { recursive: true });
  for (const f of files) {
    const s = await stat(join(src, f));
    await writeFile(join(dst, f), await readFile(join(src, f)));
    const exec = (s.mode & 0o111) !== 0;
    if (exec) await chmod(join(dst, f), o.execMode ?? 0o755);
    else if (o.fileMode !== undefined) await chmod(join(dst, f), o.fileMode);
  }
  if (o.mtime) for (const p of [...files, ...dirs].reverse()) await utimes(join(dst, p), o.mtime, o.mtime);
}

async function manifestOf(
  home: string,
  ref: string,
): Promise<{ digest: string; bytes: Buffer; manifest: Record<string, unknown> }> {
  const index = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  const hit = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  assert.ok(hit, `${ref} is tagged`);
  const bytes = await readFile(join(home, 'catalog', 'blobs', 'sha256', hit.digest.slice(7)));
  return { digest: hit.digest, bytes, manifest: JSON.parse(bytes.toString('utf8')) as Record<string, unknown> };
}

async function blob(home: string, digest: string): Promise<Buffer> {
  return readFile(join(home, 'catalog', 'blobs', 'sha256', digest.slice(7)));
}

after(cleanupTemps);

describe('scrydon build: deterministic output', () => {
  test('two copies with different mtimes, modes and creation order give identical bytes and digests', async () => {
    const a = join(await tempDir(), 'fraud');
    const b = join(await tempDir(), 'fraud');
    await copyPack(join(PACKS, 'acme-fraud'), a, {
      mtime: new Date('2001-02-03T04:05:06Z'),
      fileMode: 0o664,
      execMode: 0o775,
    });
    const umask = process.umask(0o077); // b's plain files get 0600 from the umask, its script 0700
    try {
      await copyPack(join(PACKS, 'acme-fraud'), b, {
        reverse: true,
        mtime: new Date('2024-06-07T08:09:10Z'),
        execMode: 0o700,
      });
    } finally {
      process.umask(umask);
    }
    assert.equal((await stat(join(b, 'pack.json'))).mode & 0o777, 0o600);
    const out = await tempDir();
    const ra = await json<BuildJson>(['build', a, '--out', join(out, 'a.tar.gz')]);
    const rb = await json<BuildJson>(['build', b, '--out', join(out, 'b.tar.gz')]);
    const fa = await readFile(join(out, 'a.tar.gz'));
    const fb = await readFile(join(out, 'b.tar.gz'));
    assert.ok(fa.equals(fb), 'the two .scrydon-pack.tar.gz files are byte-identical');
    assert.equal(ra.digest, rb.digest);
    assert.equal(ra.digest, `sha256:${createHash('sha256').update(fa).digest('hex')}`);
    assert.equal(ra.size, fa.byteLength);
    assert.deepEqual(ra.refs, []);

    const homeA = await tempDir();
    const homeB = await tempDir();
    const sa = await json<BuildJson>(['build', a], { home: homeA });
    const sb = await json<BuildJson>(['build', b], { home: homeB });
    const sf = await json<BuildJson>(['build', join(PACKS, 'acme-fraud')], { home: await tempDir() });
    assert.equal(sa.digest, sb.digest, 'same manifest digest in both homes');
    assert.equal(sa.digest, sf.digest, 'and the same as the fixture itself');
    assert.deepEqual(sa.refs, ['acme.fraud:1.2.0']);
    const layer = (await manifestOf(homeA, 'acme.fraud:1.2.0')).manifest.layers as Array<{ digest: string }>;
    assert.equal(layer[0]?.digest, ra.digest, 'the stored layer is the --out file');
  });

  test('directories holding no file are left out, as git leaves them out (a working tree packs like its checkout)', async () => {
    const a = join(await tempDir(), 'fraud');
    await copyPack(join(PACKS, 'acme-fraud'), a, {});
    await mkdir(join(a, 'ontology', 'empty', 'deeper'), { recursive: true });
    await mkdir(join(a, 'drafts'));
    const out = await tempDir();
    const withEmpty = await json<BuildJson>(['build', a, '--out', join(out, 'a.tar.gz')]);
    const plain = await json<BuildJson>(['build', join(PACKS, 'acme-fraud'), '--out', join(out, 'b.tar.gz')]);
    assert.equal(withEmpty.digest, plain.digest);
    assert.ok((await readFile(join(out, 'a.tar.gz'))).equals(await readFile(join(out, 'b.tar.gz'))));
  });

  test('tar entries: sorted, owners 0, modes normalised, mtime 0, fixed gzip header', async () => {
    const out = join(await tempDir(), 'fraud.tar.gz');
    await ok(['build', join(PACKS, 'acme-fraud'), '--out', out]);
    const bytes = await readFile(out);
    assert.deepEqual(
      [...bytes.subarray(0, 10)],
      [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
      'gzip: no name, mtime 0, level 6 (XFL 0), OS unix',
    );
    const entries = await listTarGz(bytes);
    const names = entries.map((e) => e.name);
    assert.deepEqual(names, [
      'ontology/',
      'ontology/fraud-signals.json',
      'pack.json',
      'process-flows/',
      'process-flows/case-triage.yaml',
      'workflows/',
      'workflows/scripts/',
      'workflows/scripts/score.sh',
      'workflows/velocity-check.yaml',
    ]);
    for (const e of entries) {
      assert.equal(e.uid, 0);
      assert.equal(e.gid, 0);
      assert.equal(e.uname, '');
      assert.equal(e.gname, '');
      assert.equal(e.mtime, 0);
      const exec = e.type === 'directory' || e.name.endsWith('.sh');
      assert.equal(e.mode, exec ? 0o755 : 0o644, `${e.name} mode`);
    }
    const packJson = entries.find((e) => e.name === 'pack.json');
    assert.ok(packJson?.body.equals(await readFile(join(PACKS, 'acme-fraud', 'pack.json'))));
  });

  test('SOURCE_DATE_EPOCH sets every mtime and adds created, changing the digest', async () => {
    const home0 = await tempDir();
    const home1 = await tempDir();
    const plain = await json<BuildJson>(['build', join(PACKS, 'acme-core')], { home: home0 });
    const dated = await json<BuildJson>(['build', join(PACKS, 'acme-core')], {
      home: home1,
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    });
    assert.notEqual(plain.digest, dated.digest);
    const m0 = await manifestOf(home0, 'acme.core:1.0.0');
    const m1 = await manifestOf(home1, 'acme.core:1.0.0');
    const a0 = m0.manifest.annotations as Record<string, string>;
    const a1 = m1.manifest.annotations as Record<string, string>;
    assert.equal(a0['org.opencontainers.image.created'], undefined, 'no created without SOURCE_DATE_EPOCH');
    assert.equal(a1['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
    const layer = (m1.manifest.layers as Array<{ digest: string }>)[0];
    assert.ok(layer);
    for (const e of await listTarGz(await blob(home1, layer.digest))) assert.equal(e.mtime, 1700000000, e.name);
    const again = await json<BuildJson>(['build', join(PACKS, 'acme-core')], {
      home: await tempDir(),
      env: { SOURCE_DATE_EPOCH: '1700000000' },
    });
    assert.equal(again.digest, dated.digest, 'the same epoch gives the same digest');
  });
});

describe('scrydon build: the stored artifact', () => {
  test('manifest: artifactType, config = pack.json bytes, one titled layer, annotations', async () => {
    const home = await tempDir();
    const r = await json<BuildJson>(['build', join(PACKS, 'acme-payments-integration')], { home });
    assert.deepEqual(Object.keys(r).sort(), ['digest', 'id', 'layer', 'refs', 'size', 'version']);
    assert.equal(r.id, 'acme.payments');
    assert.equal(r.version, '0.3.0');
    const { manifest, digest, bytes } = await manifestOf(home, 'acme.payments:0.3.0');
    assert.equal(digest, r.digest);
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, digest);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.artifactType, 'application/vnd.scrydon.pack.v1.tar.gzip');
    const config = manifest.config as { mediaType: string; digest: string };
    assert.equal(config.mediaType, 'application/vnd.scrydon.pack.config.v1+json');
    assert.ok(
      (await blob(home, config.digest)).equals(await readFile(join(PACKS, 'acme-payments-integration', 'pack.json'))),
    );
    const layers = manifest.layers as Array<{
      mediaType: string;
      digest: string;
      size: number;
      annotations: Record<string, string>;
    }>;
    assert.equal(layers.length, 1);
    assert.equal(layers[0]?.mediaType, 'application/vnd.scrydon.pack.v1.tar.gzip');
    assert.equal(layers[0]?.annotations['org.opencontainers.image.title'], 'acme.payments-0.3.0.scrydon-pack.tar.gz');
    assert.equal(layers[0]?.size, r.size);
    assert.deepEqual(manifest.annotations, {
      'io.scrydon.pack.id': 'acme.payments',
      'org.opencontainers.image.title': 'Acme Payments Gateway',
      'org.opencontainers.image.version': '0.3.0',
    });
  });

  test('-t replaces the default tag and may repeat', async () => {
    const home = await tempDir();
    const r = await json<BuildJson>(
      ['build', join(PACKS, 'acme-core'), '-t', 'acme.core:stable', '-t', 'registry.example.com/packs/core:1.0.0'],
      { home },
    );
    assert.deepEqual(r.refs, ['acme.core:stable', 'registry.example.com/packs/core:1.0.0']);
    assert.equal((await manifestOf(home, 'acme.core:stable')).digest, r.digest);
    assert.equal((await manifestOf(home, 'registry.example.com/packs/core:1.0.0')).digest, r.digest);
    const index = await readFile(join(home, 'catalog', 'index.json'), 'utf8');
    assert.ok(!index.includes('"acme.core:1.0.0"'), 'no default tag when -t is given');
    expectError(
      await scrydon(['build', join(PACKS, 'acme-core'), '-t', `acme.core@sha256:${'a'.repeat(64)}`], { home }),
      'usage',
      2,
    );
  });

  test('human output names the refs, digest and size; no temp file is left', async () => {
    const home = await tempDir();
    const r = await ok(['build', join(PACKS, 'acme-core')], { home });
    assert.match(r.stdout, /stored acme\.core:1\.0\.0/);
    assert.match(r.stdout, /digest\s+sha256:[a-f0-9]{64}/);
    assert.match(r.stdout, /size\s+\d+/);
    // a small pack is built in memory; one past 1 MiB of files goes through a temp file, removed once stored
    assert.deepEqual(await readdir(join(home, 'tmp')).catch(() => []), []);
    const big = join(await tempDir(), 'fraud');
    await copyPack(join(PACKS, 'acme-fraud'), big, {});
    await writeFile(join(big, 'ontology', 'big.bin'), randomBytes(1536 * 1024));
    const out = join(await tempDir(), 'big.tar.gz');
    const file = await json<BuildJson>(['build', big, '--out', out]);
    const stored = await json<BuildJson>(['build', big], { home });
    assert.equal(stored.layer, file.digest, 'the stored layer is the --out file');
    assert.deepEqual(await readdir(join(home, 'tmp')), []);
  });

  test(
    'skopeo reads the stored manifest and copies it keeping the digest',
    { skip: !have('skopeo') && 'skopeo is not installed' },
    async () => {
      const home = await tempDir();
      const r = await json<BuildJson>(['build', join(PACKS, 'acme-core')], { home });
      const raw = spawnSync('skopeo', ['inspect', '--raw', `oci:${join(home, 'catalog')}:acme.core:1.0.0`]);
      assert.equal(raw.status, 0, raw.stderr.toString());
      assert.equal(
        `sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`,
        r.digest,
        'skopeo returns our manifest bytes',
      );
      const dest = join(await tempDir(), 'copy');
      const cp2 = spawnSync('skopeo', [
        'copy',
        `oci:${join(home, 'catalog')}:acme.core:1.0.0`,
        `oci:${dest}:acme.core:1.0.0`,
      ]);
      assert.equal(cp2.status, 0, cp2.stderr.toString());
      const index = JSON.parse(await readFile(join(dest, 'index.json'), 'utf8')) as {
        manifests: Array<{ digest: string }>;
      };
      assert.equal(index.manifests[0]?.digest, r.digest, 'skopeo copy keeps the digest');
    },
  );
});

describe('scrydon build: .scrydonignore', () => {
  test('the fixture excludes notes/, integration/src/, *.draft.json and the ignore file itself', async () => {
    const out = join(await tempDir(), 'p.tar.gz');
    await ok(['build', join(PACKS, 'acme-payments-integration'), '--out', out]);
    const names = (await listTarGz(await readFile(out))).map((e) => e.name);
    assert.deepEqual(names, [
      'dashboards/',
      'dashboards/payments-overview.json',
      'integration/',
      'integration/bundle.tar.gz',
      'pack.json',
    ]);
  });

  test('negation, ** and anchoring', async () => {
    const dir = join(await tempDir(), 'core');
    await cp(join(PACKS, 'acme-core'), dir, { recursive: true });
    await mkdir(join(dir, 'ontology', 'drafts', 'deep'), { recursive: true });
    await writeFile(join(dir, 'ontology', 'drafts', 'deep', 'x.json'), '{}');
    await writeFile(join(dir, 'ontology', 'keep.tmp'), 'kept');
    await writeFile(join(dir, 'ontology', 'drop.tmp'), 'dropped');
    await writeFile(join(dir, 'README.md.bak'), 'x');
    await writeFile(join(dir, '.scrydonignore'), '# test\n**/drafts/\n*.tmp\n!keep.tmp\n/README.md.bak\n');
    const out = join(await tempDir(), 'p.tar.gz');
    await ok(['build', dir, '--out', out]);
    const names = (await listTarGz(await readFile(out))).map((e) => e.name);
    assert.ok(names.includes('ontology/keep.tmp'));
    assert.ok(!names.includes('ontology/drop.tmp'));
    assert.ok(!names.some((n) => n.includes('drafts')));
    assert.ok(!names.includes('README.md.bak'));
    assert.ok(!names.includes('.scrydonignore'));
    assert.ok(names.includes('README.md'));
  });

  test('a content path excluded by .scrydonignore is a pack_invalid', async () => {
    const dir = join(await tempDir(), 'core');
    await cp(join(PACKS, 'acme-core'), dir, { recursive: true });
    await writeFile(join(dir, '.scrydonignore'), 'ontology/\n');
    const r = expectError(await scrydon(['build', dir, '--out', join(dir, '..', 'x.tar.gz')]), 'pack_invalid');
    assert.match(
      r.stderr,
      /contents\[0\]\.path: ontology does not exist in the pack directory, holds no file \(empty directories are not packed\), or is excluded by \.scrydonignore \(line \d+\)/,
    );
  });
});

describe('scrydon build: refused inputs leave the store unchanged', () => {
  async function seededHome(): Promise<string> {
    const home = await tempDir();
    await ok(['build', join(PACKS, 'acme-core')], { home });
    return home;
  }

  async function hostile(prepare: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(await tempDir(), 'fraud');
    await cp(join(PACKS, 'acme-fraud'), dir, { recursive: true });
    await prepare(dir);
    return dir;
  }

  async function refused(dir: string, code: string, mention: RegExp): Promise<void> {
    const home = await seededHome();
    const before = await treeHash(home);
    const r = expectError(await scrydon(['build', dir], { home }), code);
    assert.match(r.stderr, mention);
    assert.equal(await treeHash(home), before, 'SCRYDON_HOME unchanged');
    const out = join(await tempDir(), 'out.tar.gz');
    expectError(await scrydon(['build', dir, '--out', out]), code);
    await assert.rejects(stat(out), 'no --out file written');
  }

  test('a symlink that leaves the pack directory', async () => {
    const dir = await hostile((d) => symlink('/etc/passwd', join(d, 'ontology', 'passwd')));
    await refused(
      dir,
      'unsafe_entry',
      /ontology\/passwd is a symbolic link to \/etc\/passwd, outside the pack directory/,
    );
  });

  test('a relative symlink climbing out with ..', async () => {
    const dir = await hostile(async (d) => {
      await writeFile(join(d, '..', 'secret.txt'), 'secret');
      await symlink('../../secret.txt', join(d, 'ontology', 'secret.txt'));
    });
    await refused(
      dir,
      'unsafe_entry',
      /ontology\/secret\.txt is a symbolic link to .*secret\.txt, outside the pack directory/,
    );
  });

  test('a dangling symlink', async () => {
    const dir = await hostile((d) => symlink('does-not-exist.json', join(d, 'ontology', 'gone.json')));
    await refused(dir, 'unsafe_entry', /ontology\/gone\.json is a dangling symbolic link/);
  });

  test('a symlink to a directory', async () => {
    const dir = await hostile((d) => symlink('../process-flows', join(d, 'ontology', 'flows')));
    await refused(dir, 'unsafe_entry', /ontology\/flows is a symbolic link to a directory/);
  });

  test('a FIFO', { skip: !have('mkfifo') && 'mkfifo is not installed' }, async () => {
    const dir = await hostile(async (d) => {
      const r = spawnSync('mkfifo', [join(d, 'workflows', 'pipe')]);
      assert.equal(r.status, 0);
    });
    await refused(dir, 'unsafe_entry', /workflows\/pipe is a named pipe \(FIFO\)/);
  });

  test('a unix socket', async () => {
    const dir = await hostile(async (d) => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(join(d, 'workflows', 'sock'), resolve));
      await refused(d, 'unsafe_entry', /workflows\/sock is a socket/);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    assert.ok(dir);
  });

  test('a device file', async (t) => {
    const dir = await hostile(async () => undefined);
    const r = spawnSync('mknod', [join(dir, 'ontology', 'null'), 'c', '1', '3']);
    if (r.status !== 0) {
      t.skip('mknod needs root here');
      return;
    }
    await refused(dir, 'unsafe_entry', /ontology\/null is a character device/);
  });

  test('names that differ only in case', async () => {
    const dir = await hostile((d) => writeFile(join(d, 'ontology', 'Fraud-Signals.json'), '{}'));
    await refused(
      dir,
      'unsafe_entry',
      /same name as ontology\/Fraud-Signals\.json when case is ignored|same name as ontology\/fraud-signals\.json when case is ignored/,
    );
  });

  test('an integration bundle over 8 MiB', async () => {
    const dir = join(await tempDir(), 'payments');
    await cp(join(PACKS, 'acme-payments-integration'), dir, { recursive: true });
    const big = Buffer.alloc(8 * 1024 * 1024 + 1);
    big[0] = 0x1f;
    big[1] = 0x8b;
    await writeFile(join(dir, 'integration', 'bundle.tar.gz'), big);
    await refused(
      dir,
      'size_limit_exceeded',
      /integration bundle integration\/bundle\.tar\.gz is 8388609 bytes, over the 8388608-byte \(8 MiB\) limit/,
    );
  });

  test('a pack over --max-size; sizes accept units', async () => {
    const home = await seededHome();
    const before = await treeHash(home);
    const r = expectError(
      await scrydon(['build', join(PACKS, 'acme-fraud'), '--max-size', '100'], { home }),
      'size_limit_exceeded',
    );
    assert.match(r.stderr, /over the 100-byte limit/);
    assert.equal(await treeHash(home), before);
    await ok(['build', join(PACKS, 'acme-fraud'), '--max-size', '10MB'], { home });
    await ok(['build', join(PACKS, 'acme-fraud'), '--max-size', '1MiB', '--out', join(await tempDir(), 'x.tar.gz')]);
    expectError(await scrydon(['build', join(PACKS, 'acme-fraud'), '--max-size', 'lots']), 'usage', 2);
  });

  test('an invalid pack.json: every problem with its line', async () => {
    const dir = await hostile((d) =>
      writeFile(
        join(d, 'pack.json'),
        [
          '{',
          '  "schemaVersion": 1,',
          '  "package": { "id": "Acme.Fraud", "version": "1.2" },',
          '  "contents": [{ "kind": "ontology", "path": "../ontology" }],',
          '  "installOrder": ["workflow"],',
          '  "dependecies": {}',
          '}',
        ].join('\n'),
      ),
    );
    const home = await seededHome();
    const before = await treeHash(home);
    const r = expectError(await scrydon(['build', dir], { home }), 'pack_invalid');
    assert.match(r.stderr, /package\.id: "Acme\.Fraud" is not a dotted lowercase pack id .*\(line 3\)/);
    assert.match(r.stderr, /package\.version: "1\.2" is not a semver version .*\(line 3\)/);
    assert.match(r.stderr, /contents\[0\]\.path: "\.\.\/ontology" is not a relative path .*\(line 4\)/);
    assert.match(r.stderr, /unknown key 'dependecies' \(did you mean 'dependencies'\?\) \(line 6\)/);
    assert.equal(await treeHash(home), before);
  });

  test('a directory without pack.json, and one that does not exist', async () => {
    const empty = await tempDir();
    const r = expectError(await scrydon(['build', empty, '--out', join(empty, 'x.tar.gz')]), 'pack_invalid');
    assert.match(r.stderr, /pack\.json is missing/);
    expectError(await scrydon(['build', join(empty, 'nope')]), 'not_found');
  });
});

describe('scrydon build: links inside the pack', () => {
  test('a symlink to a file inside the pack is packed as a regular file with its content', async () => {
    const dir = join(await tempDir(), 'core');
    await cp(join(PACKS, 'acme-core'), dir, { recursive: true });
    await symlink('../ontology/entities.json', join(dir, 'data-sources', 'entities.json'));
    const out = join(await tempDir(), 'p.tar.gz');
    await ok(['build', dir, '--out', out]);
    const e = (await listTarGz(await readFile(out))).find((x) => x.name === 'data-sources/entities.json');
    assert.ok(e);
    assert.equal(e.type, 'file');
    assert.ok(e.body.equals(await readFile(join(dir, 'ontology', 'entities.json'))));
    await rm(out);
  });
});
