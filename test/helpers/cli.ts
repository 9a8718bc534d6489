import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is dist/test/helpers/cli.js once built). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The CLI as installed: the bundle scripts/bundle.ts makes of dist/cmd/main.js. */
export const BIN = join(ROOT, 'dist', 'bin', 'scrydon.js');
export const FIXTURES = join(ROOT, 'fixtures');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  cwd?: string;
  /** Run as this user id (and the group of the same number): root ignores file modes, another user does not. */
  uid?: number;
  /** Run this scrydon executable (an installed one, the single executable) instead of `node dist/bin/scrydon.js`. */
  bin?: string;
}

/** The command line that starts scrydon: `bin` itself, or this Node running the built bundle. */
export function scrydonCommand(bin?: string): [string, string[]] {
  return bin === undefined ? [process.execPath, [BIN]] : [bin, []];
}

/**
 * The environment a run of the CLI starts from: this process's, without NODE_EXTRA_CA_CERTS. A test that needs extra
 * CAs sets them itself (registry-proxy.test.ts); one inherited from the machine would only let a test pass on a CA
 * the machine trusts, not the test, and Node 20 parses that bundle at every start (half of `node -e 0`'s CPU here,
 * paid by each of the suite's thousands of CLI runs).
 */
export function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Starts the built CLI as a subprocess with piped stdio (scrydon() collects it; kill tests stop it). */
export function spawnScrydon(args: readonly string[], o: RunOptions = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...cliEnv(), NO_COLOR: '1', ...o.env };
  if (o.home) env.SCRYDON_HOME = o.home;
  const opts: SpawnOptions = {
    env,
    cwd: o.cwd ?? ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(o.uid === undefined ? {} : { uid: o.uid, gid: o.uid }),
  };
  const [command, pre] = scrydonCommand(o.bin);
  return spawn(command, [...pre, ...args], opts);
}

/** Runs the built CLI as a subprocess (the way users run it) and collects its output. */
export function scrydon(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawnScrydon(args, o);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolveRun({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin?.end(o.input ?? '');
  });
}

/** A warning Node printed itself (`(node:PID) MaxListenersExceededWarning: …`): never part of scrydon's output. */
const NODE_WARNING = /^\(node:\d+\) \w*Warning/m;

/** Throws when Node printed a warning of its own on `r`'s stderr. */
function assertNoNodeWarning(r: RunResult, what: string): void {
  if (NODE_WARNING.test(r.stderr)) throw new Error(`${what}: Node printed a warning on stderr:\n${r.stderr}`);
}

/** Runs the CLI and fails with its stderr unless it exits 0 (and Node printed no warning of its own). */
export async function ok(args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const r = await scrydon(args, o);
  if (r.code !== 0)
    throw new Error(`scrydon ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assertNoNodeWarning(r, `scrydon ${args.join(' ')}`);
  return r;
}

/** Runs the CLI with --json and parses stdout. */
export async function json<T = unknown>(args: readonly string[], o: RunOptions = {}): Promise<T> {
  const r = await ok([...args, '--json'], o);
  return JSON.parse(r.stdout) as T;
}

/** Asserts a failure with `error[code]` on stderr, no stack trace and no warning of Node's; returns the result. */
export function expectError(r: RunResult, code: string, exit = 1): RunResult {
  if (r.code !== exit)
    throw new Error(`expected exit ${exit}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  if (!r.stderr.includes(`error[${code}]`)) throw new Error(`expected error[${code}] on stderr, got:\n${r.stderr}`);
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(r.stderr)) throw new Error(`stack trace printed without --debug:\n${r.stderr}`);
  assertNoNodeWarning(r, `error[${code}]`);
  return r;
}

const temps: string[] = [];

/** A fresh temporary directory, removed by cleanupTemps(). */
export async function tempDir(prefix = 'scrydon-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

export async function cleanupTemps(): Promise<void> {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/**
 * A hash over a whole tree (paths, types, modes, sizes, contents, link targets). Lock directories are
 * left out. Two equal hashes mean the tree is byte-for-byte the same.
 */
export async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  async function walk(rel: string): Promise<void> {
    const abs = join(dir, rel);
    let entries: string[];
    try {
      entries = (await readdir(abs)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of entries) {
      if (name.endsWith('.lock')) continue;
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, r));
      if (st.isDirectory()) {
        h.update(`d ${r} ${st.mode & 0o7777}\n`);
        await walk(r);
      } else if (st.isSymbolicLink()) {
        h.update(`l ${r} ${await readlink(join(dir, r))}\n`);
      } else {
        h.update(`f ${r} ${st.mode & 0o7777} ${st.size}\n`);
        h.update(await readFile(join(dir, r)));
      }
    }
  }
  await walk('');
  return h.digest('hex');
}

/** Whether an executable is on PATH. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
