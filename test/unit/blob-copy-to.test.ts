/**
 * A registry blob written by its consumer through copyTo() (src/registry/resumable-blob.ts, the pull's path into a
 * store file) against the real registry: every byte arrives in order however slow the writer, the socket reads
 * into a few buffers handed back after each write (not a fresh 1 MiB per read), and a wrong digest, a body cut
 * for good or an abort reject only once no write is in flight.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { isScrydonError } from '../../src/errors.js';
import { isChunkPusher, type ChunkPusher } from '../../src/fs/file-sink.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import type { Digest } from '../../src/oci/digest.js';
import { OPEN_GATE } from '../../src/registry/gate.js';
import { Remote } from '../../src/registry/remote.js';
import { RegistrySettings } from '../../src/registry/settings.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

const SIZE = 24 * 1024 * 1024 + 12_345;

let registry: RunningRegistry;
const remotes: Remote[] = [];
const proxies: RunningProxy[] = [];

function remoteFor(...hosts: string[]): Remote {
  const r = new Remote({
    settings: new RegistrySettings().withFlags({ plainHttp: true }, hosts),
    credentials: { authFiles: [] },
    gate: OPEN_GATE,
    retry: { attempts: 3, baseMs: 1, maxMs: 5 },
  });
  remotes.push(r);
  return r;
}

/** A random blob pushed to its own repository of the registry. */
async function pushed(size = SIZE): Promise<{ repo: string; bytes: Buffer; d: Descriptor }> {
  const bytes = randomBytes(size);
  const d: Descriptor = {
    mediaType: 'application/octet-stream',
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest,
    size: bytes.byteLength,
  };
  const repo = `direct/${randomBytes(4).toString('hex')}`;
  await remoteFor(registry.host)
    .repository(`${registry.host}/${repo}`, { writable: true })
    .push(d, Readable.from([bytes]));
  return { repo, bytes, d };
}

async function body(host: string, repo: string, d: Descriptor, signal?: AbortSignal): Promise<ChunkPusher> {
  const b = await remoteFor(host)
    .repository(`${host}/${repo}`)
    .fetch(d, signal ? { signal } : {});
  assert.ok(isChunkPusher(b), 'a blob over 1 MiB can be written through copyTo()');
  return b;
}

/** A writer that takes its time (a few ms now and then) and keeps a copy of each chunk as it was when written. */
function slowWriter(): {
  write: (c: Buffer) => Promise<void>;
  copies: Buffer[];
  buffers: Set<ArrayBufferLike>;
  inFlight: () => number;
} {
  const copies: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  let inFlight = 0;
  let n = 0;
  return {
    copies,
    buffers,
    inFlight: () => inFlight,
    write: async (c) => {
      inFlight++;
      buffers.add(c.buffer);
      await new Promise((r) => setTimeout(r, n++ % 3 === 0 ? 3 : 0));
      copies.push(Buffer.from(c)); // read after the wait: a buffer read into again meanwhile would show here
      inFlight--;
    },
  };
}

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  for (const r of remotes) await r.close();
  for (const p of proxies) await p.close();
  await registry?.stop();
});

test('every byte in order however slow the writer, read into a few reused buffers', async () => {
  const { repo, bytes, d } = await pushed(2 * SIZE);
  const w = slowWriter();
  await (await body(registry.host, repo, d)).copyTo(w.write);
  assert.ok(Buffer.concat(w.copies).equals(bytes), 'the bytes written are the blob');
  // a fresh buffer per socket read would be one per MiB at least (48 here); the queue holds ~8 MiB at most
  assert.ok(w.copies.length >= 48, `${w.copies.length} writes`);
  assert.ok(w.buffers.size <= 16, `the socket read into ${w.buffers.size} buffers for ${w.copies.length} writes`);
});

test('bytes that do not match the digest: digest_mismatch, once no write is in flight', async () => {
  const { repo, bytes, d } = await pushed();
  const file = join(
    registry.storage,
    'docker/registry/v2/blobs/sha256',
    d.digest.slice(7, 9),
    d.digest.slice(7),
    'data',
  );
  const stored = await readFile(file);
  stored[SIZE >> 1] = (stored[SIZE >> 1] ?? 0) ^ 0xff;
  await chmod(file, 0o644);
  await writeFile(file, stored);
  const w = slowWriter();
  await assert.rejects((await body(registry.host, repo, d)).copyTo(w.write), (e) => {
    assert.ok(isScrydonError(e, 'digest_mismatch'), String(e));
    return true;
  });
  assert.equal(w.inFlight(), 0);
  assert.ok(Buffer.concat(w.copies).byteLength <= bytes.byteLength);
});

test('a body cut again at every resumption: network_error, once no write is in flight', async () => {
  const { repo, d } = await pushed();
  const p = await startProxy({ upstream: registry.host, cutAfter: 3 * 1024 * 1024 + 7, cutEvery: true });
  proxies.push(p);
  const w = slowWriter();
  await assert.rejects((await body(p.host, repo, d)).copyTo(w.write), (e) => {
    assert.ok(isScrydonError(e, 'network_error'), String(e));
    return true;
  });
  assert.equal(w.inFlight(), 0);
  assert.ok(Buffer.concat(w.copies).byteLength < SIZE);
  assert.equal(p.requests.filter((q) => q.range).length, 2, 'resumed with Range twice (3 attempts), then given up');
});

test('an abort mid-body rejects once no write is in flight; a write that fails rejects with its error', async () => {
  const { repo, d } = await pushed();
  const ac = new AbortController();
  const w = slowWriter();
  let n = 0;
  const aborting = async (c: Buffer): Promise<void> => {
    if (++n === 5) ac.abort(new Error('stop here'));
    await w.write(c);
  };
  await assert.rejects((await body(registry.host, repo, d, ac.signal)).copyTo(aborting, ac.signal));
  assert.equal(w.inFlight(), 0);
  assert.ok(Buffer.concat(w.copies).byteLength < SIZE);

  const failing = async (c: Buffer): Promise<void> => {
    if (c.byteLength > 0) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
  };
  await assert.rejects((await body(registry.host, repo, d)).copyTo(failing), /disk full/);
});
