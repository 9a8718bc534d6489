import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupTemps, have, json, ok, tempDir } from '../helpers/cli.js';
import { seedPack, type Seeded } from '../helpers/seed-store.js';

function skopeo(...args: string[]): string {
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Interop with skopeo's oci-archive transport, in both directions; the manifest digest must survive. */
describe(
  'skopeo and scrydon archives',
  { skip: have('skopeo') ? false : 'skopeo is not installed (scripts/test-setup installs it)' },
  () => {
    let home: string;
    let work: string;
    let pack: Seeded;
    const REF = 'acme.interop:1.2.0';

    before(async () => {
      home = await tempDir();
      work = await tempDir();
      pack = await seedPack(join(home, 'catalog'), REF, join(work, 'seed'), { layers: [200_000, 300] });
    });
    after(cleanupTemps);

    it('skopeo reads our archive (oci-archive:FILE:REF) and keeps the digest', async () => {
      const file = join(work, 'ours.tar');
      await ok(['save', REF, '-o', file], { home });
      const dir = join(work, 'skopeo-oci');
      skopeo('copy', '-q', `oci-archive:${file}:${REF}`, `oci:${dir}:${REF}`);
      const raw = skopeo('inspect', '--raw', `oci:${dir}:${REF}`);
      const ours = await readFile(join(home, 'catalog', 'blobs', 'sha256', pack.manifest.digest.slice(7)), 'utf8');
      assert.equal(raw, ours);
      assert.equal(skopeo('inspect', '--raw', `oci-archive:${file}:${REF}`), ours);
    });

    it("we load skopeo's oci-archive into a fresh home", async () => {
      const file = join(work, 'theirs.tar');
      skopeo('copy', '-q', `oci:${join(home, 'catalog')}:${REF}`, `oci-archive:${file}:${REF}`);
      const fresh = await tempDir();
      const r = await json<{ refs: Array<{ ref: string; digest: string }>; blobs: number }>(['load', '-i', file], {
        home: fresh,
      });
      assert.deepEqual(r.refs, [{ ref: REF, digest: pack.manifest.digest }]);
      assert.equal(r.blobs, 4);
      // and what we loaded is a layout skopeo reads again, byte for byte
      const raw = skopeo('inspect', '--raw', `oci:${join(fresh, 'catalog')}:${REF}`);
      assert.equal(
        raw,
        await readFile(join(home, 'catalog', 'blobs', 'sha256', pack.manifest.digest.slice(7)), 'utf8'),
      );
    });
  },
);
