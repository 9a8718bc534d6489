import { ScrydonError } from '../../src/errors.js';
import { login, loginRegistry } from '../../src/registry/login.js';
import { Remote } from '../../src/registry/remote.js';
import { defineCommand } from '../define-command.js';
import { prompt } from '../prompt.js';
import { registryGate } from '../registry-policy.js';
import { noKeychainReason } from '../runtime.js';
import {
  connectionFlags,
  credentialFlags,
  readSecretFromStdin,
  registrySettings,
  secretStore,
  REGISTRY_EPILOG,
} from '../registry-options.js';

export default defineCommand({
  command: 'login <registry>',
  describe: 'Check a registry login and save it (OS keychain, or $SCRYDON_HOME/auth.json mode 0600)',
  examples: [
    ['echo "$GHCR_TOKEN" | scrydon login ghcr.io -u octocat --password-stdin', 'from a pipe (scripts, CI)'],
    ['scrydon login registry.example.com', 'asks for the user name and password on a terminal'],
  ],
  epilog: REGISTRY_EPILOG,
  builder: (y) =>
    credentialFlags(
      connectionFlags(
        y.positional('registry', { type: 'string', demandOption: true, describe: 'registry host[:port]' }),
      ),
    ),
  run: async (args, ctx) => {
    const registry = loginRegistry(args.registry);
    let username = args.username;
    let password: string;
    if (args['password-stdin']) {
      if (!username) throw new ScrydonError('usage', '--password-stdin needs --username');
      password = await readSecretFromStdin();
    } else if (process.stdin.isTTY) {
      username ??= await prompt('Username: ');
      password = await prompt('Password: ', true);
    } else {
      throw new ScrydonError('usage', 'no terminal to ask for the password on', {
        hint: `echo "$PASSWORD" | scrydon login ${registry} -u USER --password-stdin`,
      });
    }
    const remote = new Remote({
      settings: await registrySettings(args, ctx, [registry]),
      gate: await registryGate(ctx),
      timeouts: ctx.netTimeouts(),
      credentials: { authFiles: [] },
    });
    let r;
    try {
      r = await login(remote, registry, username ?? '', password, await secretStore(ctx)(), ctx.signal);
    } finally {
      await remote.close();
    }
    if (r.stored.backend === 'file' && r.stored.createdFile) {
      ctx.warn(`${noKeychainReason()}: the login is saved in ${r.stored.path} (mode 0600, readable by this user only)`);
    }
    const where = r.stored.backend === 'keychain' ? 'the OS keychain' : (r.stored.path ?? 'auth.json');
    const note = r.verified ? '' : ` (${registry} asks for no authentication; saved unchecked)`;
    return {
      data: { registry: r.registry, username, verified: r.verified, storedIn: r.stored.backend },
      text: `Login succeeded for ${registry}, saved in ${where}${note}`,
    };
  },
});
