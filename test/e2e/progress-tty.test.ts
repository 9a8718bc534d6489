import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cleanupTemps, FIXTURES, ok, scrydon, tempDir, type RunOptions } from '../helpers/cli.js';
import { startProxy, type RunningProxy } from '../helpers/proxy.js';
import { scrydonOnTty, terminalScreen } from '../helpers/pty.js';
import { startRegistry, type RunningRegistry } from '../helpers/registry.js';

/**
 * The progress display on a real pseudo-terminal (issue 20, "Progress people can read"): a pull over a slow link
 * shows bytes/s and an ETA, names what moves (the pack file's title, not a digest), never shows the small manifest,
 * and fits the terminal at 40 and 120 columns, so no redraw wraps and nothing stale is left on the screen.
 */

const TITLE = 'acme.core-1.0.0.scrydon-pack.tar.gz';
let registry: RunningRegistry;
let slow: RunningProxy;
let ref: string;

async function env(): Promise<RunOptions & { home: string }> {
  return { home: await tempDir(), env: { HOME: await tempDir() } };
}

before(async () => {
  registry = await startRegistry();
  // 12 MiB that gzip cannot shrink, at 6 MiB/s: about two seconds of progress
  slow = await startProxy({ upstream: registry.host, throttle: 6 * 1024 * 1024 });
  const dir = join(await tempDir(), 'acme-core');
  await cp(join(FIXTURES, 'packs', 'acme-core'), dir, { recursive: true });
  await writeFile(join(dir, 'ontology', 'samples.bin'), randomBytes(12 * 1024 * 1024));
  const publisher = await env();
  await ok(['build', dir], publisher);
  await ok(['push', 'acme.core:1.0.0', `${registry.host}/progress/big:1.0.0`, '--plain-http'], publisher);
  ref = `${slow.host}/progress/big:1.0.0`;
});

after(async () => {
  await slow?.close();
  await registry?.stop();
  await cleanupTemps();
});

describe('progress on a terminal', () => {
  for (const columns of [40, 120]) {
    test(`${columns} columns: rate, ETA and the file's title; every line fits; no stale line left`, async () => {
      const node = await env();
      const r = await scrydonOnTty(['pull', ref, '--plain-http'], columns, node);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const { lines } = terminalScreen(r.stdout, columns);
      // what is redrawn must fit; the result line after it is ordinary output and may wrap
      const { widest } = terminalScreen(r.stdout.slice(0, r.stdout.lastIndexOf('pulled ')), columns);
      const seen = `\n--- the terminal received:\n${JSON.stringify(r.stdout)}`;
      assert.ok(widest < columns, `a line of ${widest} columns was written to a ${columns}-column terminal${seen}`);
      assert.match(r.stdout, /\d(\.\d)? [KM]iB\/s ETA \d+:\d\d/, `bytes/s and an ETA while it moves${seen}`);
      const shown = columns >= 80 ? TITLE : TITLE.slice(0, 6);
      assert.ok(r.stdout.includes(shown), `the title (${shown}) names the blob${seen}`);
      // (`0 B/12.0 MiB` is the big blob before its first byte, which a loaded machine may well draw)
      assert.ok(!/manifest|\b\d+ B\/\d+ B\b/.test(r.stdout), `the small manifest never gets a line${seen}`);
      if (columns >= 80) assert.match(r.stdout, /\[#+-*\]/, 'a bar when there is room');
      // what stays on the screen: the finished file and the result, nothing in flight
      assert.ok(!lines.some((l) => / ETA /.test(l)), `stale progress left on screen:\n${lines.join('\n')}`);
      assert.match(lines.find((l) => l.startsWith('copied')) ?? '', /^copied {2}acme\.core/);
      assert.ok(
        lines.some((l) => l.startsWith('pulled ')),
        lines.join('\n'),
      );
    });
  }

  test('not a terminal: no progress and no escape sequences', async () => {
    const node = await env();
    const r = await scrydon(['pull', ref, '--plain-http'], node);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stderr.includes('\u001b') && !r.stdout.includes('\u001b'));
    assert.ok(!r.stderr.includes('ETA'));
  });
});
