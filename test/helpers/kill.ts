import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ok, spawnScrydon, type RunOptions } from './cli.js';

/**
 * The crash sweep's tools: start the CLI, SIGKILL it at a chosen instant (a condition polled on disk, or a
 * callback such as a proxy's cut), then check that what it left is a valid store: index.json parses, no tag
 * moved, every visible blob matches its name, `scrydon check` is clean.
 */
export interface Killable {
  readonly child: ChildProcess;
  /** Whether the process has exited (by itself or killed). */
  readonly done: boolean;
  /** Resolves with the signal that ended the process (null when it exited by itself) once it is gone. */
  readonly exited: Promise<NodeJS.Signals | null>;
  /** SIGKILLs the process (if it still runs) and waits until it is gone. */
  kill(): Promise<NodeJS.Signals | null>;
}

/** Starts `scrydon ARGS` (output discarded; a full pipe must not stall it before the kill). */
export function startScrydon(args: readonly string[], o: RunOptions = {}): Killable {
  const child = spawnScrydon(args, o);
  child.stdout?.resume();
  child.stderr?.resume();
  child.stdin?.end();
  let done = false;
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => {
      done = true;
      resolve(signal);
    }),
  );
  return {
    child,
    get done() {
      return done;
    },
    exited,
    kill: async () => {
      if (!done) child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * Polls `ready` every few milliseconds and SIGKILLs the process as soon as it holds; fails if the process ends
 * first (it finished before it could be killed mid-way) or `ready` never holds within `timeoutMs`.
 */
export async function killWhen(
  k: Killable,
  ready: () => Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!k.done && Date.now() < deadline && !(await ready())) await sleep(5);
  assert.ok(!k.done, `the process ended before it could be killed ${what}`);
  assert.ok(Date.now() < deadline, `never got ${what} within ${timeoutMs} ms`);
  assert.equal(await k.kill(), 'SIGKILL');
}

/** Tags of a store's index.json (ref name → digest); index.json must parse. */
export async function storeTags(home: string): Promise<Record<string, string>> {
  const idx = JSON.parse(await readFile(join(home, 'catalog', 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
  };
  return Object.fromEntries(
    idx.manifests
      .filter((m) => m.annotations?.['org.opencontainers.image.ref.name'])
      .map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest]),
  );
}

/** Every visible blob's content matches its name; returns how many there are. */
export async function assertBlobsValid(home: string): Promise<number> {
  const dir = join(home, 'catalog', 'blobs', 'sha256');
  const names = await readdir(dir);
  for (const n of names) {
    const h = createHash('sha256');
    for await (const c of createReadStream(join(dir, n), { highWaterMark: 1 << 20 })) h.update(c as Buffer);
    assert.equal(h.digest('hex'), n, `blob ${n} does not match its name`);
  }
  return names.length;
}

/** What a crash may leave and nothing else: the same tags as `tagsBefore`, valid blobs, `scrydon check` clean. */
export async function assertStoreConsistent(
  home: string,
  tagsBefore: Record<string, string>,
  o: RunOptions = {},
): Promise<void> {
  assert.deepEqual(await storeTags(home), tagsBefore);
  await assertBlobsValid(home);
  await ok(['check'], { ...o, home });
}

/** Total size of the files directly in `dir` whose names pass `keep` (0 when it does not exist). */
export async function bytesIn(dir: string, keep: (name: string) => boolean = () => true): Promise<number> {
  let total = 0;
  for (const f of (await readdir(dir).catch(() => [] as string[])).filter(keep))
    total += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size;
  return total;
}
