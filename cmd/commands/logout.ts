import { logout } from '../../src/registry/login.js';
import { defineCommand } from '../define-command.js';
import { secretStore } from '../registry-options.js';

export default defineCommand({
  command: 'logout <registry>',
  describe: 'Forget the login scrydon saved for a registry (Docker and Podman logins are left alone)',
  examples: [['scrydon logout ghcr.io', 'remove the saved ghcr.io login']],
  builder: (y) => y.positional('registry', { type: 'string', demandOption: true, describe: 'registry host[:port]' }),
  run: async (args, ctx) => {
    const r = await logout(args.registry, await secretStore(ctx)());
    return { data: r, text: r.removed ? `Removed the login for ${r.registry}` : `Not logged in to ${r.registry}` };
  },
});
