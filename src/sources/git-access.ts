import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetTimeouts } from '../registry/transport/time-bounds.js';
import { gitUrlKind, type Source } from './source-spec.js';

/**
 * How git reaches a source: the environment for one run of fetches. Hermetic (no system or global git
 * config, no prompts, only the URL's own protocol allowed), with the source's transport flags and
 * credential as configuration in the environment — never on the command line, where `ps` would show it.
 * A PAT becomes an `Authorization: Basic` header; a deploy key is written (0600) to a temp file that
 * GIT_SSH_COMMAND names, removed by dispose().
 */
export interface GitAccess {
  env: NodeJS.ProcessEnv;
  /** Values to mask in every message. */
  secrets: string[];
  dispose(): Promise<void>;
}

interface GitAccessOptions {
  /** The CLI's environment (PATH, HOME, proxies). */
  baseEnv: NodeJS.ProcessEnv;
  /** Where a deploy key may be written for the duration of the run. */
  tmpDir: string;
  /** known_hosts for SSH sources (first use is accepted, later changes refused). */
  knownHostsFile: string;
  /** The registry client's bounds, given to git's transports too (gitConfigFor). */
  timeouts?: NetTimeouts;
}

/** git and ssh take whole seconds (at least 1). */
function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `user:token` or a bare token (the user is then `x-access-token`, which GitHub and most servers accept). */
export function basicAuthHeader(credential: string): string {
  const colon = credential.indexOf(':');
  const [user, token] =
    colon > 0 ? [credential.slice(0, colon), credential.slice(colon + 1)] : ['x-access-token', credential];
  return `Authorization: Basic ${Buffer.from(`${user}:${token}`, 'utf8').toString('base64')}`;
}

/**
 * The configuration (as key/value pairs) and extra variables for a source; pure. With `timeouts`, git gets the
 * registry client's bounds as well as its transports allow: over http(s), curl's speed limit (the floor over the
 * idle window, which also ends a silent server); over ssh, a connect timeout and keepalives that give up on a
 * server silent for the idle window. git's connect over http(s) has no bound of its own (curl's 300 s): the
 * deadline (--timeout) covers it.
 */
export function gitConfigFor(
  source: Pick<Source, 'url' | 'transport'>,
  credential: string | undefined,
  keyFile: string | undefined,
  knownHostsFile: string,
  timeouts?: NetTimeouts,
): { config: Array<[string, string]>; vars: Record<string, string> } {
  const kind = gitUrlKind(source.url);
  const config: Array<[string, string]> = [['protocol.version', '2']];
  const vars: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: kind,
    GCM_INTERACTIVE: 'never',
    LC_ALL: 'C',
  };
  if (kind === 'https' || kind === 'http') {
    if (source.transport.insecure) config.push(['http.sslVerify', 'false']);
    if (source.transport.caFile) config.push(['http.sslCAInfo', source.transport.caFile]);
    if (credential !== undefined) config.push(['http.extraHeader', basicAuthHeader(credential)]);
    if (timeouts)
      config.push(
        ['http.lowSpeedLimit', String(timeouts.minBytesPerSecond)],
        ['http.lowSpeedTime', String(wholeSeconds(timeouts.idleMs))],
      );
  }
  if (kind === 'ssh') {
    const parts = [
      'ssh',
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${shellQuote(knownHostsFile)}`,
    ];
    if (keyFile !== undefined) parts.push('-o', 'IdentitiesOnly=yes', '-i', shellQuote(keyFile));
    if (timeouts)
      parts.push(
        '-o',
        `ConnectTimeout=${wholeSeconds(timeouts.connectMs)}`,
        '-o',
        `ServerAliveInterval=${wholeSeconds(timeouts.idleMs / 2)}`,
        '-o',
        'ServerAliveCountMax=2',
      );
    vars.GIT_SSH_COMMAND = parts.join(' ');
    vars.GIT_SSH_VARIANT = 'ssh';
  }
  config.forEach(([k, v], i) => {
    vars[`GIT_CONFIG_KEY_${i}`] = k;
    vars[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  vars.GIT_CONFIG_COUNT = String(config.length);
  return { config, vars };
}

/** Drops git's own variables from the caller's environment so nothing outside this run steers git. */
function cleanBase(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('GIT_') && v !== undefined) out[k] = v;
  return out;
}

export async function openGitAccess(
  source: Pick<Source, 'url' | 'transport'>,
  credential: string | undefined,
  o: GitAccessOptions,
): Promise<GitAccess> {
  let keyFile: string | undefined;
  let keyDir: string | undefined;
  const secrets: string[] = [];
  if (credential !== undefined) {
    secrets.push(credential);
    const colon = credential.indexOf(':');
    if (colon > 0) secrets.push(credential.slice(colon + 1));
  }
  if (credential !== undefined && gitUrlKind(source.url) === 'ssh') {
    keyDir = join(o.tmpDir, `git-key-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(keyDir, { recursive: true, mode: 0o700 });
    keyFile = join(keyDir, 'id');
    await writeFile(keyFile, credential.endsWith('\n') ? credential : `${credential}\n`, { mode: 0o600, flag: 'wx' });
  }
  const viaHeader = gitUrlKind(source.url) === 'ssh' ? undefined : credential;
  const { vars } = gitConfigFor(source, viaHeader, keyFile, o.knownHostsFile, o.timeouts);
  if (viaHeader !== undefined) secrets.push(basicAuthHeader(viaHeader).slice('Authorization: Basic '.length));
  return {
    env: { ...cleanBase(o.baseEnv), ...vars },
    secrets,
    dispose: async () => {
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    },
  };
}
