import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { after, describe, test } from 'node:test';
import { BIN, cleanupTemps, tempDir } from '../helpers/cli.js';

after(cleanupTemps);

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`, as a user at a shell would) and types each step's keys
 * once its text has been printed (after the previous step's). Returns the exit code and everything the terminal showed.
 */
function atTerminal(
  args: readonly string[],
  home: string,
  steps: ReadonlyArray<{ after: string; type: string }>,
): Promise<{ code: number; screen: string }> {
  const line = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', line, '/dev/null'], {
    env: { ...process.env, SCRYDON_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let from = 0;
  let step = 0;
  const onData = (b: Buffer): void => {
    screen += b.toString('utf8');
    const s = steps[step];
    const at = s ? screen.indexOf(s.after, from) : -1;
    if (s && at >= 0) {
      from = at + s.after.length;
      step++;
      child.stdin.write(s.type);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, screen })));
}

describe('prompts on a terminal', () => {
  test('Ctrl-D at the login prompt is a usage error (exit 2), nothing saved', async () => {
    const home = await tempDir();
    const r = await atTerminal(['login', '127.0.0.1:1', '--plain-http'], home, [{ after: 'Username:', type: '\x04' }]);
    assert.equal(r.code, 2, r.screen);
    assert.match(r.screen, /error\[usage\]: no answer to "Username:": the input ended/);
    assert.deepEqual(await readdir(home), []);
  });

  test('Ctrl-C at the password prompt is aborted (exit 1), nothing saved', async () => {
    const home = await tempDir();
    const r = await atTerminal(['login', '127.0.0.1:1', '--plain-http', '--username', 'ci'], home, [
      { after: 'Password:', type: '\x03' },
    ]);
    assert.equal(r.code, 1, r.screen);
    assert.match(r.screen, /error\[aborted\]: interrupted at the prompt/);
    assert.deepEqual(await readdir(home), []);
  });

  test('Ctrl-D at the key password prompt writes no key', async () => {
    const home = await tempDir();
    const dir = await tempDir();
    const r = await atTerminal(['key', 'generate', '--dir', dir], home, [
      { after: 'Enter password for private key:', type: '\x04' },
    ]);
    assert.equal(r.code, 2, r.screen);
    assert.match(r.screen, /error\[usage\]/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a key password typed twice (not echoed) writes the key pair', async () => {
    const home = await tempDir();
    const dir = await tempDir();
    const r = await atTerminal(['key', 'generate', '--dir', dir], home, [
      { after: 'Enter password for private key:', type: 's3cret-pw\r' },
      { after: 'again:', type: 's3cret-pw\r' },
    ]);
    assert.equal(r.code, 0, r.screen);
    assert.ok(!r.screen.includes('s3cret-pw'), 'the password was echoed');
    assert.deepEqual((await readdir(dir)).sort(), ['cosign.key', 'cosign.pub']);
  });
});
