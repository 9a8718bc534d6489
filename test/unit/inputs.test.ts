import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MediaType } from '../../src/oci/media-types.js';
import { rangeApplies } from '../../src/serve/range.js';
import { trustRootArtifact } from '../../src/signature/trust-artifact.js';
import { TRUSTED_ROOT_FILE } from '../../src/signature/trust-store.js';
import { pinnedDigest, storeRefName } from '../../src/names/store.js';
import { cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

/** opencontainers/image-spec v1.1.1 schema/defs-descriptor.json, `mediaType` (also what `artifactType` refers to). */
const IMAGE_SPEC_MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
/** The same file, `digest`. */
const IMAGE_SPEC_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

describe('media types fit the image-spec 1.1.1 schema', () => {
  test('every media type scrydon writes has no parameter', () => {
    for (const [name, t] of Object.entries(MediaType)) assert.match(t, IMAGE_SPEC_MEDIA_TYPE, name);
  });

  test('the trusted-root artifact: artifactType, config and layer media types, digests', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, TRUSTED_ROOT_FILE),
      '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}',
    );
    const a = await trustRootArtifact(dir);
    assert.ok(a);
    const m = JSON.parse((a.blobs.get(a.manifest.digest) as Buffer).toString('utf8')) as {
      mediaType: string;
      artifactType: string;
      config: { mediaType: string; digest: string };
      layers: Array<{ mediaType: string; digest: string }>;
    };
    assert.equal(m.artifactType, 'application/vnd.dev.sigstore.trustedroot+json');
    for (const d of [m.config, ...m.layers]) {
      assert.match(d.mediaType, IMAGE_SPEC_MEDIA_TYPE);
      assert.match(d.digest, IMAGE_SPEC_DIGEST);
      assert.ok(a.blobs.has(d.digest), `${d.digest} is carried`);
    }
    for (const t of [m.mediaType, m.artifactType]) assert.match(t, IMAGE_SPEC_MEDIA_TYPE);
    assert.equal(a.ref, `scrydon.trust:${a.digest.slice(7, 19)}`);
    assert.equal(await trustRootArtifact(await tempDir()), undefined, 'nothing imported: nothing to carry');
  });
});

test('If-Range: only the strong ETag itself keeps the Range', () => {
  const etag = `"sha256:${'a'.repeat(64)}"`;
  assert.equal(rangeApplies(undefined, etag), true);
  assert.equal(rangeApplies(etag, etag), true);
  assert.equal(rangeApplies(` ${etag} `, etag), true);
  for (const other of [
    `W/${etag}`,
    `"sha256:${'b'.repeat(64)}"`,
    'Sun, 06 Nov 1994 08:49:37 GMT',
    '',
    '*',
    [etag, etag],
  ]) {
    assert.equal(rangeApplies(other, etag), false, JSON.stringify(other));
  }
});

test('tag names: the exact ref.name first, then the normal form; digests are pins', () => {
  const names = new Set(['plain', 'Release-1']);
  const has = (n: string): boolean => names.has(n);
  const name = (ref: string): string => storeRefName(ref, { exists: has });
  assert.equal(name('plain'), 'plain');
  assert.equal(name('plain:latest'), 'plain:latest');
  assert.equal(name('other'), 'other:latest');
  assert.equal(name('Release-1'), 'Release-1');
  assert.throws(() => name('Release-2'), /invalid reference/);
  // pins: a digest-only artifact's name, and the name earlier versions gave it
  const p = `sha256:${'d'.repeat(64)}`;
  assert.equal(name(`reg.io/acme/x@${p}`), `reg.io/acme/x@${p}`);
  assert.equal(storeRefName(`reg.io/acme/x:sha256-${'d'.repeat(64)}`, { digest: p }), `reg.io/acme/x@${p}`);
  assert.equal(
    storeRefName(`reg.io/acme/x:sha256-${'e'.repeat(64)}`, { digest: p }),
    `reg.io/acme/x:sha256-${'e'.repeat(64)}`,
  );
  assert.throws(() => storeRefName(`reg.io/acme/x@sha256:${'e'.repeat(64)}`, { digest: p }), /pins another digest/);
  assert.equal(pinnedDigest('plain'), undefined);
  assert.equal(pinnedDigest('Release-1'), undefined);
  const d = `sha256:${'c'.repeat(64)}`;
  assert.equal(pinnedDigest(d), d);
  assert.equal(pinnedDigest(`plain@${d}`), d);
  assert.throws(() => pinnedDigest('plain@sha256:nope'), /invalid reference/);
});
