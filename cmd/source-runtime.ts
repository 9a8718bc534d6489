import { join } from 'node:path';
import type { CredentialSources } from '../src/registry/credentials/resolve.js';
import { loadRegistriesFile, RegistrySettings } from '../src/registry/settings.js';
import { Remote } from '../src/registry/remote.js';
import type { SessionDeps, GitEnvironment } from '../src/sources/session.js';
import { REGISTERED, sourceSecretKey, type Source } from '../src/sources/source-spec.js';
import type { Context } from './context.js';
import { secretStore } from './registry-options.js';
import { registryGate } from './registry-policy.js';
import { walkLimitsFromEnv } from './walk-limits.js';
import { ociRepository } from '../src/names/sources.js';

/** What sources and reconcile need from the environment: git's, the secret store, registry clients per source. */

function gitEnvironment(ctx: Context): GitEnvironment {
  return {
    baseEnv: ctx.env,
    cacheRoot: join(ctx.paths.home, 'cache', 'git'),
    tmpDir: ctx.paths.tmp,
    knownHostsFile: join(ctx.paths.state, 'known_hosts'),
    timeouts: ctx.netTimeouts(),
  };
}

/** A source's stored credential (`pack-source-<name>`), if any. */
async function sourceCredential(ctx: Context, source: Source, secrets = secretStore(ctx)): Promise<string | undefined> {
  return (await secrets()).get(sourceSecretKey(source.name));
}

/**
 * Opens registry clients for a source: registries.yaml, plus the source's own transport flags for the
 * registries it names, plus (OCI sources) its `username:token` for its own registry, ahead of every other
 * credential; logins and Docker auth files as usual otherwise.
 */
function sourceRemoteOpener(
  ctx: Context,
  source: Source,
  credential: string | undefined,
  secrets = secretStore(ctx),
): (registries: readonly string[]) => Promise<Remote> {
  return async (registries) => {
    const file = await loadRegistriesFile(ctx.registriesFile);
    const t = source.transport;
    const settings = new RegistrySettings(file).withFlags(
      { plainHttp: t.plainHttp, insecure: t.insecure, ...(t.caFile ? { caFile: t.caFile } : {}) },
      registries,
    );
    let flags: NonNullable<CredentialSources['flags']> | undefined;
    if (source.type === 'oci' && credential !== undefined) {
      const colon = credential.indexOf(':');
      flags = {
        username: credential.slice(0, colon),
        password: credential.slice(colon + 1),
        registries: [ociRepository(source.url).registry],
        source: `source ${source.name}`,
        fix: `replace it: printf %s "USER:TOKEN" | scrydon source set-credential ${source.name} --credential-stdin`,
      };
    }
    return new Remote({
      settings,
      gate: await registryGate(ctx),
      userAgent: 'scrydon',
      proxy: ctx.proxyConfig(),
      timeouts: ctx.netTimeouts(),
      credentials: { authFiles: ctx.authFiles(), secrets, ...(flags ? { flags } : {}) },
    });
  };
}

/**
 * Everything a session of `source` needs, but the store. `interruptible`: SIGINT aborts its I/O (source test);
 * a reconcile instead finishes the step in progress and stops between steps, and only the deadline (--timeout,
 * SCRYDON_TIMEOUT) aborts its I/O.
 */
export async function sessionDeps(
  ctx: Context,
  source: Source,
  credential?: string,
  interruptible = false,
): Promise<Omit<SessionDeps, 'store'>> {
  const secrets = secretStore(ctx);
  // a registered source says whether it has a credential; a source of `reconcile -f` may have one stored by name
  const lookup = source.credential || source.managedBy !== REGISTERED;
  const cred = credential ?? (lookup ? await sourceCredential(ctx, source, secrets) : undefined);
  return {
    openRemote: sourceRemoteOpener(ctx, source, cred, secrets),
    git: gitEnvironment(ctx),
    credential: cred,
    signal: interruptible ? ctx.signal : ctx.deadline,
    walkLimits: walkLimitsFromEnv(ctx),
  };
}
