import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, cleanupTemps, FIXTURES, json, ok, tempDir } from '../helpers/cli.js';
import { seedSmallPacks } from '../helpers/small-pack.js';

const STRACE = '/usr/bin/strace';

/**
 * Runs the built CLI under `strace -f -c` and returns the number of calls per system call (all threads). What a
 * bulk command of many small blobs costs is mostly per-blob file operations: these counts are what the changes
 * for issue 18 cut, and unlike times they do not depend on how loaded the machine is.
 */
async function syscalls(
  args: readonly string[],
  home: string,
  out: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Map<string, number>> {
  const r = spawnSync(STRACE, ['-f', '-c', '-o', out, process.execPath, BIN, ...args], {
    env: { ...process.env, SCRYDON_HOME: home, NO_COLOR: '1', ...env },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const counts = new Map<string, number>();
  for (const line of (await readFile(out, 'utf8')).split('\n')) {
    const f = line.trim().split(/\s+/);
    const calls = Number(f[3]);
    if (f.length >= 5 && Number.isInteger(calls) && /^[a-z_0-9]+$/.test(f[f.length - 1] as string))
      counts.set(f[f.length - 1] as string, calls);
  }
  return counts;
}

const PACKS = 600;

describe(`system calls per blob of load and check (${PACKS} small packs)`, { skip: !existsSync(STRACE) }, () => {
  let src: string;
  let work: string;
  let blobs: number;
  let archive: string;

  before(async () => {
    src = await tempDir();
    work = await tempDir();
    await seedSmallPacks(join(src, 'catalog'), join(work, 'seed'), 0, PACKS);
    blobs = (await readdir(join(src, 'catalog', 'blobs', 'sha256'))).length;
    archive = join(work, 'all.tar');
    await ok(['save', '--all', '-o', archive, '-q'], { home: src });
  });
  after(cleanupTemps);

  it('load reads the archive through read-ahead windows and writes each small blob once: one rename, no chmod', async () => {
    const dst = await tempDir();
    const n = await syscalls(['load', '-i', archive, '-q'], dst, join(work, 'load.strace'));
    const count = (s: string) => n.get(s) ?? 0;
    // before: about 2.3 positional reads, 2 renames, a chmod and a stat per blob
    assert.ok(count('pread64') < blobs / 10, `${count('pread64')} preads for ${blobs} blobs`);
    assert.ok(count('rename') <= blobs + 20, `${count('rename')} renames for ${blobs} blobs`);
    assert.ok(count('chmod') < 20, `${count('chmod')} chmods for ${blobs} blobs`);
    assert.ok(count('statx') + count('newfstatat') < blobs / 4, `${count('statx')} stats for ${blobs} blobs`);
    // every staged blob is made durable before anything names it: by one syncfs of the file system (coreutils'
    // sync -f, a child process strace -f follows), not an fsync each (before: one fsync per blob)
    assert.ok(count('syncfs') >= 1, `${count('syncfs')} syncfs`);
    assert.ok(count('fsync') + count('fdatasync') < blobs / 10, `${count('fsync')} fsyncs for ${blobs} blobs`);
    assert.equal((await readdir(join(dst, 'catalog', 'blobs', 'sha256'))).length, blobs);
    await ok(['check'], { home: dst });
  });

  it('where sync -f cannot run (not on PATH), each staged blob is fsynced instead', async () => {
    const dst = await tempDir();
    const n = await syscalls(['load', '-i', archive, '-q'], dst, join(work, 'load-nosync.strace'), {
      PATH: '/nonexistent',
    });
    const count = (s: string) => n.get(s) ?? 0;
    assert.equal(count('syncfs'), 0);
    assert.ok(count('fsync') + count('fdatasync') >= blobs, `${count('fsync')} fsyncs for ${blobs} blobs`);
    await ok(['check'], { home: dst });
  });

  it('check opens, stats and reads each blob once (the graph walk asks the hashing, not the disk)', async () => {
    const n = await syscalls(['check'], src, join(work, 'check.strace'));
    const count = (s: string) => n.get(s) ?? 0;
    // before: a stat per blob more, a second open and read per manifest, and a read per blob to see its end
    const bound = 1.15 * blobs + 150;
    assert.ok(count('openat') < bound, `${count('openat')} opens for ${blobs} blobs`);
    assert.ok(count('statx') + count('newfstatat') < bound, `${count('statx')} stats for ${blobs} blobs`);
    assert.ok(count('read') < 1.3 * blobs + 300, `${count('read')} reads for ${blobs} blobs`);
  });
});

describe(
  'the store fsyncs its blob directory once, before index.json names what was renamed in',
  { skip: !existsSync(STRACE) },
  () => {
    after(cleanupTemps);

    /** `scrydon build` of acme-core under strace: where in the trace blobs are renamed in, the blob directory fsynced and index.json renamed. */
    async function tracedBuild(
      home: string,
    ): Promise<{ renamedIn: number[]; dirSyncs: number[]; indexRenames: number[] }> {
      const out = join(await tempDir(), 'build.strace');
      // one thread-pool thread: the file operations run one at a time, so the trace's order is theirs
      const built = spawnSync(
        STRACE,
        [
          '-f',
          '-y',
          '-e',
          'trace=rename,renameat,renameat2,fsync,fdatasync',
          '-o',
          out,
          process.execPath,
          BIN,
          'build',
          join(FIXTURES, 'packs', 'acme-core'),
          '-q',
        ],
        { env: { ...process.env, SCRYDON_HOME: home, UV_THREADPOOL_SIZE: '1' }, encoding: 'utf8' },
      );
      assert.equal(built.status, 0, built.stderr);
      const blobs = join(home, 'catalog', 'blobs', 'sha256');
      const lines = (await readFile(out, 'utf8')).split('\n');
      const at = (pred: (l: string) => boolean) => lines.flatMap((l, i) => (pred(l) ? [i] : []));
      return {
        renamedIn: at((l) => /\brename/.test(l) && l.includes(`"${blobs}/`) && l.endsWith('= 0')),
        dirSyncs: at((l) => /\bfsync\(/.test(l) && l.includes(`<${blobs}>)`)),
        indexRenames: at((l) => /\brename/.test(l) && l.includes(`"${join(home, 'catalog', 'index.json')}")`)),
      };
    }

    it('build: three blobs renamed in, one fsync of blobs/sha256, then the index', async () => {
      const home = await tempDir();
      const { renamedIn, dirSyncs, indexRenames } = await tracedBuild(home);
      assert.equal(renamedIn.length, 3, 'config, layer and manifest');
      assert.equal(dirSyncs.length, 1, 'one fsync of blobs/sha256 (before: one per blob)');
      const last = indexRenames[indexRenames.length - 1] as number;
      assert.ok(Math.max(...renamedIn) < (dirSyncs[0] as number), 'after every blob is renamed in');
      assert.ok((dirSyncs[0] as number) < last, 'before index.json names them');

      // a blob lost from a store whose index.json already names it, built again: the one blob renamed in is made
      // durable (one fsync of its directory) before the tag is written again
      const count = (await readdir(join(home, 'catalog', 'blobs', 'sha256'))).length;
      const layer = (await json<{ layer: string }>(['build', join(FIXTURES, 'packs', 'acme-core')], { home })).layer;
      await rm(join(home, 'catalog', 'blobs', 'sha256', layer.slice(7)));
      const again = await tracedBuild(home);
      assert.equal(again.renamedIn.length, 1, 'the lost layer alone');
      assert.equal(again.dirSyncs.length, 1);
      assert.ok((again.renamedIn[0] as number) < (again.dirSyncs[0] as number));
      assert.ok((again.dirSyncs[0] as number) < (again.indexRenames[again.indexRenames.length - 1] as number));
      assert.equal((await readdir(join(home, 'catalog', 'blobs', 'sha256'))).length, count);
    });
  },
);
