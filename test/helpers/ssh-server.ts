import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { freePort, waitListening } from './registry.js';

const SSHD = '/usr/sbin/sshd';

/** A deploy key pair made by ssh-keygen (OpenSSH's own PEM-armoured private key format). */
export async function deployKey(): Promise<{ privateKey: string; publicKey: string }> {
  const dir = await tempDir('scrydon-sshkey-');
  const file = join(dir, 'deploy');
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'scrydon-test-deploy', '-f', file], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { privateKey: await readFile(file, 'utf8'), publicKey: await readFile(`${file}.pub`, 'utf8') };
}

export interface RunningSshServer {
  port: number;
  /** `ssh://USER@127.0.0.1:PORT<path>` for a repository at the absolute `path`. */
  url(path: string): string;
  /** Restarts on the same port with a new host key (a server that changed, or an impostor). */
  rekey(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * OpenSSH's sshd on 127.0.0.1, letting the user running the tests in with `authorizedKey` only (git over SSH then
 * runs git-upload-pack as that user). Runs without root where the tests do; as root it needs /run/sshd.
 */
export async function startSshServer(authorizedKey: string): Promise<RunningSshServer> {
  const dir = await tempDir('scrydon-sshd-');
  const port = await freePort();
  const user = userInfo().username;
  await writeFile(join(dir, 'authorized_keys'), authorizedKey, { mode: 0o600 });
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  let child: ChildProcess | undefined;
  let generation = 0;
  const start = async (): Promise<void> => {
    const hostKey = join(dir, `host-${++generation}`);
    const k = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey], { encoding: 'utf8' });
    if (k.status !== 0) throw new Error(`ssh-keygen failed: ${k.stderr}`);
    const config = join(dir, 'sshd_config');
    await writeFile(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AllowUsers ${user}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitListening(port, child, 'sshd');
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    port,
    url: (path) => `ssh://${user}@127.0.0.1:${port}${path}`,
    rekey: async () => {
      await stop();
      await start();
    },
    stop,
  };
}

export const haveSshd = (): boolean => existsSync(SSHD);
