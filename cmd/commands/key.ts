import { resolve } from 'node:path';
import { ScrydonError } from '../../src/errors.js';
import { writeNewKeyPair } from '../../src/signature/key-files.js';
import { defineCommand } from '../define-command.js';
import { keyPassword, loadPublicKey, loadSigningKey } from '../signature-options.js';

const generate = defineCommand({
  command: 'generate',
  describe:
    'Write a cosign-compatible key pair: <prefix>.key (encrypted with COSIGN_PASSWORD or a prompt) and <prefix>.pub',
  examples: [
    ['COSIGN_PASSWORD=... scrydon key generate', 'cosign.key and cosign.pub in the current directory'],
    ['scrydon key generate --output-key-prefix release --dir ~/keys', 'release.key and release.pub under ~/keys'],
  ],
  builder: (y) =>
    y
      .option('output-key-prefix', {
        type: 'string',
        default: 'cosign',
        describe: 'file names: PREFIX.key and PREFIX.pub',
      })
      .option('dir', { type: 'string', default: '.', describe: 'directory to write them in' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' }),
  run: async (args, ctx) => {
    const password = await keyPassword(ctx, true);
    if (password === undefined) {
      throw new ScrydonError(
        'key_password',
        'no password for the new key: COSIGN_PASSWORD is not set and there is no terminal to ask on',
        {
          hint: 'set COSIGN_PASSWORD (empty is allowed: COSIGN_PASSWORD=)',
        },
      );
    }
    const r = await writeNewKeyPair(resolve(args.dir), args['output-key-prefix'], password, args.force);
    return {
      data: r,
      text: `Private key written to ${r.privateKey}\nPublic key written to ${r.publicKey}\nfingerprint ${r.fingerprint}`,
    };
  },
});

const pub = defineCommand({
  command: 'public <key>',
  describe: 'Print the public key (PEM) and fingerprint of a private or public key reference',
  examples: [
    ['scrydon key public cosign.key', 'cosign.pub as PEM, from the private key'],
    ['scrydon key public env://COSIGN_PUBLIC_KEY --json', 'the fingerprint policies name keys by'],
  ],
  builder: (y) =>
    y.positional('key', {
      type: 'string',
      demandOption: true,
      describe: 'a path or env://NAME (private keys are decrypted with COSIGN_PASSWORD)',
    }),
  run: async (args, ctx) => {
    let info;
    try {
      info = await loadPublicKey(args.key, ctx);
    } catch (e) {
      if (!(e instanceof ScrydonError) || e.code !== 'key_invalid') throw e;
      info = (await loadSigningKey(args.key, ctx)).publicKey;
    }
    const data = { algorithm: info.algorithm, fingerprint: info.fingerprint, publicKey: info.pem };
    return { data, text: `${info.pem.trimEnd()}\nalgorithm ${info.algorithm}\nfingerprint ${info.fingerprint}` };
  },
});

export default defineCommand({
  command: 'key',
  describe: 'Signing keys: generate a cosign-compatible pair, show a public key',
  examples: [['scrydon key generate', 'cosign.key + cosign.pub']],
  builder: (y) => y,
  run: async () => ({ data: null }),
  subcommands: [generate, pub] as never,
});
