import type { Argv } from 'yargs';
import { ScrydonError } from '../src/errors.js';
import type { SecretStore } from '../src/registry/credentials/secret-store.js';
import type { Remote } from '../src/registry/remote.js';
import type { RegistrySettings, ReferrersMode } from '../src/registry/settings.js';
import type { Context } from './context.js';

// The registry client, its settings, the secret store and policy.yaml's gate (with the YAML parser) are imported
// when a registry is talked to: a command that only may (inspect of a stored pack) does not load them.

/** --help of the commands that talk to registries: the environment they read. */
export const REGISTRY_EPILOG =
  'Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, as for docker and skopeo (localhost and loopback addresses never go through one; credentials go in the proxy URL). Per-registry settings: $SCRYDON_HOME/registries.yaml. Time bounds: each connection within SCRYDON_CONNECT_TIMEOUT (30s), no silence longer than SCRYDON_IDLE_TIMEOUT (60s) nor a slower answer than 1 KiB/s over that long; the whole command within --timeout / SCRYDON_TIMEOUT (default none).';

/** The flags every command that talks to a registry shares. */
export interface RegistryArgs {
  'plain-http': boolean;
  insecure: boolean;
  'ca-file': string | undefined;
  username: string | undefined;
  'password-stdin': boolean;
  referrers: string;
}

/** How to reach the registries a command names: plain HTTP, unverified TLS, an extra CA. */
export function connectionFlags<T>(
  y: Argv<T>,
): Argv<T & Omit<RegistryArgs, 'username' | 'password-stdin' | 'referrers'>> {
  return y
    .option('plain-http', {
      type: 'boolean',
      default: false,
      describe: 'talk plain HTTP to the registries named here (test registries only)',
    })
    .option('insecure', {
      type: 'boolean',
      default: false,
      describe: 'do not verify the TLS certificates of the registries named here',
    })
    .option('ca-file', {
      type: 'string',
      describe: 'trust this PEM CA bundle for the registries named here',
    }) as unknown as Argv<T & Omit<RegistryArgs, 'username' | 'password-stdin' | 'referrers'>>;
}

export function credentialFlags<T>(y: Argv<T>): Argv<T & Pick<RegistryArgs, 'username' | 'password-stdin'>> {
  return y
    .option('username', {
      alias: 'u',
      type: 'string',
      describe: 'user name for the registries named here (with --password-stdin)',
    })
    .option('password-stdin', {
      type: 'boolean',
      default: false,
      describe: 'read the password (or token) from standard input',
    }) as unknown as Argv<T & Pick<RegistryArgs, 'username' | 'password-stdin'>>;
}

export function registryFlags<T>(y: Argv<T>): Argv<T & RegistryArgs> {
  return credentialFlags(connectionFlags(y)).option('referrers', {
    type: 'string',
    choices: ['auto', 'api', 'tag'],
    default: 'auto',
    describe: 'referrers API, the sha256-<hex> tag schema, or probe (auto)',
  }) as unknown as Argv<T & RegistryArgs>;
}

export function concurrencyFlag<T>(y: Argv<T>): Argv<T & { concurrency: number }> {
  return y.option('concurrency', { type: 'number', default: 4, describe: 'blobs moved at once' }) as unknown as Argv<
    T & { concurrency: number }
  >;
}

/** Reads a secret from standard input (one line; trailing newline dropped). Never echoed, never logged. */
export async function readSecretFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new ScrydonError('usage', '--password-stdin reads from a pipe, not a terminal', {
      hint: 'echo "$TOKEN" | scrydon login REGISTRY -u USER --password-stdin',
    });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin) {
    n += (c as Buffer).byteLength;
    if (n > 64 * 1024) throw new ScrydonError('usage', 'the password on standard input is over 64 KiB');
    chunks.push(c as Buffer);
  }
  const s = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!s) throw new ScrydonError('usage', 'no password on standard input');
  return s;
}

/** scrydon's own secret store, opened once per command. */
export function secretStore(ctx: Context): () => Promise<SecretStore> {
  let p: Promise<SecretStore> | undefined;
  return () =>
    (p ??= import('../src/registry/credentials/secret-store.js').then(({ openSecretStore }) =>
      openSecretStore({ authFile: ctx.paths.authFile, mode: ctx.credentialStoreMode() }),
    ));
}

/** registries.yaml, with the connection flags applied to the registries the command names. */
export async function registrySettings(
  args: Omit<RegistryArgs, 'username' | 'password-stdin' | 'referrers'>,
  ctx: Context,
  registries: readonly string[],
): Promise<RegistrySettings> {
  const { loadRegistriesFile, RegistrySettings } = await import('../src/registry/settings.js');
  const file = await loadRegistriesFile(ctx.registriesFile);
  return new RegistrySettings(file).withFlags(
    { plainHttp: args['plain-http'], insecure: args.insecure, ...(args['ca-file'] ? { caFile: args['ca-file'] } : {}) },
    registries,
  );
}

/** Builds the registry client for a command that names `registries` on its command line. */
export async function openRemote(args: RegistryArgs, ctx: Context, registries: readonly string[]): Promise<Remote> {
  if (args['password-stdin'] && !args.username) throw new ScrydonError('usage', '--password-stdin needs --username');
  if (args.username && !args['password-stdin'])
    throw new ScrydonError('usage', '--username needs --password-stdin (passwords are never taken as arguments)');
  const password = args['password-stdin'] ? await readSecretFromStdin() : undefined;
  const settings = await registrySettings(args, ctx, registries);
  const [{ Remote }, { registryGate }] = await Promise.all([
    import('../src/registry/remote.js'),
    import('./registry-policy.js'),
  ]);
  return new Remote({
    settings,
    gate: await registryGate(ctx),
    referrers: args.referrers as ReferrersMode,
    userAgent: 'scrydon',
    proxy: ctx.proxyConfig(),
    timeouts: ctx.netTimeouts(),
    deadline: ctx.deadline,
    credentials: {
      authFiles: ctx.authFiles(),
      secrets: secretStore(ctx),
      ...(args.username && password !== undefined ? { flags: { username: args.username, password, registries } } : {}),
    },
  });
}

/** Runs `fn` with a Remote and closes its connections afterwards. */
export async function withRemote<T>(
  args: RegistryArgs,
  ctx: Context,
  registries: readonly string[],
  fn: (remote: Remote) => Promise<T>,
): Promise<T> {
  const remote = await openRemote(args, ctx, registries);
  try {
    return await fn(remote);
  } catch (e) {
    throw remote.explain(e);
  } finally {
    await remote.close();
  }
}
