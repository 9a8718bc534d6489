import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { withFileLock } from '../../src/fs/lock.js';
import { descriptorOf } from '../../src/oci/descriptor.js';
import { Lease } from '../../src/store/lease.js';
import { LayoutPaths } from '../../src/store/layout.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

test('a lock whose directory is missing makes it, and a second lock in it needs no look for it', async () => {
  const dir = join(await tempDir(), 'a', 'b');
  const seen: string[] = [];
  await withFileLock(join(dir, 'state.json'), async () => {
    seen.push(...(await readdir(dir)));
  });
  assert.deepEqual(seen, ['state.json.lock'], 'held while fn ran');
  assert.deepEqual(await readdir(dir), [], 'released');
  // the directory removed between two locks (a home wiped by hand): made again
  await rm(dir, { recursive: true });
  assert.equal(await withFileLock(join(dir, 'state.json'), async () => 'again'), 'again');
});

test('a lease whose leases/ directory is gone makes it again on its next write', async () => {
  const root = await tempDir();
  const p = new LayoutPaths(root);
  const lease = new Lease(p);
  const a = descriptorOf('application/octet-stream', Buffer.from('a'));
  const b = descriptorOf('application/octet-stream', Buffer.from('b'));
  await lease.hold([a]);
  await rm(p.leases, { recursive: true });
  await lease.hold([b]);
  const [name] = await readdir(p.leases);
  const text = await readFile(join(p.leases, name as string), 'utf8');
  assert.deepEqual(
    text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { digest: string }).digest),
    [b.digest],
  );
  await lease.release();
  assert.deepEqual(await readdir(p.leases), []);
});
