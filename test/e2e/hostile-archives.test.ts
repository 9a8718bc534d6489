import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanupTemps, expectError, json, ok, scrydon, tempDir, treeHash } from '../helpers/cli.js';
import { blobName, layoutEntriesFor, tarBytes, testArtifact, type RawEntry } from '../helpers/make-archive.js';
import { seedPack } from '../helpers/seed-store.js';

/**
 * Every hostile archive fails with a clear error code and leaves SCRYDON_HOME byte-for-byte unchanged
 * (tree hash before and after, ingest/ included, so no staging leftovers either).
 */
describe('load refuses hostile archives and changes nothing', () => {
  let home: string;
  let work: string;

  before(async () => {
    home = await tempDir();
    work = await tempDir();
    await seedPack(join(home, 'catalog'), 'acme.present:1.0.0', join(work, 'seed'));
  });
  after(cleanupTemps);

  async function refuse(name: string, bytes: Buffer, code: string, mention?: string): Promise<void> {
    const file = join(work, `${name}.tar`);
    await writeFile(file, bytes);
    const before = await treeHash(home);
    const r = expectError(await scrydon(['load', '-i', file], { home }), code);
    if (mention) assert.match(r.stderr, new RegExp(mention.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await treeHash(home), before, `${name}: the store changed`);
    assert.deepEqual(await readdir(join(home, 'catalog', 'ingest')), [], `${name}: ingest/ is not empty`);
  }

  const a = testArtifact();
  const valid = layoutEntriesFor(a);
  const withExtra = (e: RawEntry) => tarBytes([...valid.slice(0, 2), e, ...valid.slice(2)]);

  it('a valid archive loads (the control case)', async () => {
    const h = await tempDir();
    const file = join(work, 'valid.tar');
    await writeFile(file, tarBytes(valid));
    const r = await json<{ refs: Array<{ ref: string; digest: string }> }>(['load', '-i', file], { home: h });
    assert.deepEqual(r.refs, [{ ref: a.ref, digest: a.manifest.digest }]);
  });

  it('path traversal ../x', () =>
    refuse('traversal', withExtra({ name: '../x', data: Buffer.from('evil') }), 'unsafe_path', '../x'));
  it('path traversal inside a path', () =>
    refuse('traversal2', withExtra({ name: 'blobs/../../x', data: Buffer.from('evil') }), 'unsafe_path'));
  it('absolute path /etc/x', () =>
    refuse('absolute', withExtra({ name: '/etc/x', data: Buffer.from('evil') }), 'unsafe_path', '/etc/x'));
  it('symlink entry', () =>
    refuse(
      'symlink',
      withExtra({ name: 'blobs/sha256/link', type: '2', linkname: '/etc/passwd' }),
      'unsafe_entry',
      'symbolic link',
    ));
  it('hardlink entry', () =>
    refuse(
      'hardlink',
      withExtra({ name: 'index2.json', type: '1', linkname: 'index.json' }),
      'unsafe_entry',
      'hard link',
    ));
  it('character device entry', () =>
    refuse('chardev', withExtra({ name: 'dev', type: '3' }), 'unsafe_entry', 'character device'));
  it('block device entry', () =>
    refuse('blockdev', withExtra({ name: 'disk', type: '4' }), 'unsafe_entry', 'block device'));
  it('FIFO entry', () => refuse('fifo', withExtra({ name: 'pipe', type: '6' }), 'unsafe_entry', 'FIFO'));
  it('an entry outside the layout', () =>
    refuse('stray', withExtra({ name: 'README', data: Buffer.from('hi') }), 'archive_invalid', 'README'));
  it('a blob that is not sha256', () =>
    refuse(
      'sha512',
      withExtra({ name: `blobs/sha512/${'a'.repeat(128)}`, data: Buffer.from('x') }),
      'archive_invalid',
      'sha256',
    ));
  it('a malformed blob name', () =>
    refuse('badname', withExtra({ name: 'blobs/sha256/XYZ', data: Buffer.from('x') }), 'archive_invalid'));

  it('duplicate entry', () =>
    refuse(
      'duplicate',
      withExtra({ name: blobName(a.layer.digest), data: a.layer.data }),
      'unsafe_entry',
      'duplicate',
    ));

  it('digest mismatch (a blob renamed to another digest)', async () => {
    const entries = valid.map((e) =>
      e.name === blobName(a.layer.digest) ? { ...e, data: randomBytes(a.layer.data.byteLength) } : e,
    );
    await refuse('mismatch', tarBytes(entries), 'digest_mismatch', a.layer.digest);
  });

  it('truncated tar (cut inside a blob)', async () => {
    const full = tarBytes(valid);
    await refuse('truncated', full.subarray(0, 512 * 5 + 700), 'archive_truncated');
  });

  it('tar without its end marker', () => refuse('noend', tarBytes(valid, { end: false }), 'archive_truncated', 'end'));

  it('a corrupt header (bad checksum)', async () => {
    const bytes = tarBytes(valid);
    bytes[512 * 2 + 10] = 0x41; // inside the third header's name
    await refuse('checksum', bytes, 'archive_invalid', 'checksum');
  });

  it('manifest pointing at a blob missing from the archive and the store', async () => {
    const entries = valid.filter((e) => e.name !== blobName(a.layer.digest));
    await refuse('missing', tarBytes(entries), 'blob_missing', a.layer.digest);
  });

  it('oversized manifest (over 4 MiB)', async () => {
    const big = testArtifact('acme.big:1.0.0', { padManifestTo: 4 * 1024 * 1024 + 10 });
    await refuse('oversized', tarBytes(layoutEntriesFor(big)), 'size_limit_exceeded', big.manifest.digest);
  });

  it('index.json that is not JSON', async () => {
    const entries = valid.map((e) => (e.name === 'index.json' ? { ...e, data: Buffer.from('{not json') } : e));
    await refuse('badindex', tarBytes(entries), 'archive_invalid', 'index.json');
  });

  it('an oci-layout of another version', async () => {
    const entries = valid.map((e) =>
      e.name === 'oci-layout' ? { ...e, data: Buffer.from('{"imageLayoutVersion":"2.0.0"}') } : e,
    );
    await refuse('layoutversion', tarBytes(entries), 'archive_invalid', 'oci-layout');
  });

  it('a file that is not a tar at all', () => refuse('garbage', randomBytes(5000), 'archive_invalid'));

  // receipts beside the layout (save carries the store's verification receipts): checked before anything is loaded
  const receipt = (digest: string, extra: Record<string, unknown> = {}) => ({
    digest,
    reference: a.ref,
    verifiedAt: '2026-01-01T00:00:00.000Z',
    format: 'bundle',
    signature: 'sha256:' + 'c'.repeat(64),
    signer: { kind: 'key', fingerprint: 'SHA256:abc' },
    signedAt: [],
    trustRoot: null,
    ...extra,
  });
  const hashed = (v: unknown) => {
    const j = JSON.stringify(v);
    return `${createHash('sha256').update(j).digest('hex')}\t${j}\n`;
  };
  const hex = a.manifest.digest.slice(7);
  const withReceipt = (name: string, text: string) => withExtra({ name, data: Buffer.from(text) });

  it('a receipt beside the layout loads, kept apart as carried (the control case)', async () => {
    const h = await tempDir();
    const file = join(work, 'receipt.tar');
    await writeFile(file, withReceipt(`receipts/${hex}.jsonl`, hashed(receipt(a.manifest.digest))));
    const r = await json<{ receipts: number }>(['load', '-i', file], { home: h });
    assert.equal(r.receipts, 1);
    const carried = await readFile(join(h, 'catalog', 'receipts', 'carried', `${hex}.jsonl`), 'utf8');
    assert.match(carried, /"carried":\{"archive":"[^"]*receipt\.tar","loadedAt":"[^"]+","hops":1\}/);
    assert.deepEqual(await readdir(join(h, 'catalog', 'receipts')), ['carried'], 'nothing in the local receipts');
  });
  it('a receipt entry with a traversal name', () =>
    refuse(
      'receipt-traversal',
      withReceipt(`receipts/../../${hex}.jsonl`, hashed(receipt(a.manifest.digest))),
      'unsafe_path',
      '..',
    ));
  it('a receipt entry named otherwise', () =>
    refuse(
      'receipt-name',
      withReceipt('receipts/evil.sh', hashed(receipt(a.manifest.digest))),
      'archive_invalid',
      'receipts/evil.sh',
    ));
  it('a receipt of a digest the archive does not hold', () =>
    refuse(
      'receipt-other',
      withReceipt(`receipts/${'d'.repeat(64)}.jsonl`, hashed(receipt(`sha256:${'d'.repeat(64)}`))),
      'archive_invalid',
      'does not hold',
    ));
  it('a torn receipt line', () =>
    refuse(
      'receipt-torn',
      withReceipt(`receipts/${hex}.jsonl`, hashed(receipt(a.manifest.digest)).slice(0, 120)),
      'archive_invalid',
      'torn',
    ));
  it('an edited receipt line (its hash no longer matches)', () =>
    refuse(
      'receipt-edited',
      withReceipt(`receipts/${hex}.jsonl`, hashed(receipt(a.manifest.digest)).replace('SHA256:abc', 'SHA256:abd')),
      'archive_invalid',
      'hash does not match',
    ));
  it("a receipt line about another digest in this digest's file", () =>
    refuse(
      'receipt-mismatch',
      withReceipt(`receipts/${hex}.jsonl`, hashed(receipt(a.layer.digest))),
      'archive_invalid',
      'not a receipt',
    ));
  it('an attestation receipt naming no attestation digest', () =>
    refuse(
      'receipt-attestation',
      withReceipt(
        `receipts/${hex}.attestations.jsonl`,
        hashed({ ...receipt(a.manifest.digest), rule: 'r', predicateType: 'p', attestation: '../x', signer: 'key x' }),
      ),
      'archive_invalid',
      'attestation',
    ));

  it('a receipts file over 4 MiB', () =>
    refuse(
      'receipt-big',
      withReceipt(`receipts/${hex}.jsonl`, hashed(receipt(a.manifest.digest, { rule: 'x'.repeat(4 * 1024 * 1024) }))),
      'size_limit_exceeded',
      `receipts/${hex}.jsonl`,
    ));

  it('the store still works afterwards', async () => {
    await ok(['tag', 'acme.present:1.0.0', 'acme.present:again'], { home });
  });
});
