import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ScrydonError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { generateKeyPair } from './keys.js';

interface WrittenKeyPair {
  privateKey: string;
  publicKey: string;
  fingerprint: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * `scrydon key generate`: `<prefix>.key` (encrypted, mode 0600) and `<prefix>.pub` (0644) in `dir`, as
 * `cosign generate-key-pair` writes them. Existing files are kept unless `force`.
 */
export async function writeNewKeyPair(
  dir: string,
  prefix: string,
  password: string,
  force: boolean,
): Promise<WrittenKeyPair> {
  const privateKey = join(dir, `${prefix}.key`);
  const publicKey = join(dir, `${prefix}.pub`);
  if (!force) {
    for (const p of [privateKey, publicKey]) {
      if (await exists(p))
        throw new ScrydonError('usage', `${p} already exists`, {
          hint: 'choose another --output-key-prefix, or pass --force to overwrite',
        });
    }
  }
  const pair = await generateKeyPair(password);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(privateKey, pair.privatePem, 0o600);
  await writeFileAtomic(publicKey, pair.publicPem, 0o644);
  return { privateKey, publicKey, fingerprint: pair.fingerprint };
}
