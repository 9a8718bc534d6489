import { readFile } from 'node:fs/promises';
import { ScrydonError } from '../errors.js';

/**
 * A key reference as cosign takes it: a file path, or `env://NAME` whose variable holds the whole PEM.
 * Network and KMS schemes are refused: scrydon signs and verifies without a route out.
 */
type KeyRef = { kind: 'file'; path: string } | { kind: 'env'; name: string };

const REFUSED = /^(?:https?|awskms|gcpkms|azurekms|hashivault|k8s|gitlab|github|pkcs11):/i;

export function parseKeyRef(ref: string): KeyRef {
  if (ref.startsWith('env://')) {
    const name = ref.slice('env://'.length);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new ScrydonError('key_invalid', `"${ref}" does not name an environment variable`);
    return { kind: 'env', name };
  }
  if (REFUSED.test(ref)) {
    const scheme = ref.slice(0, ref.indexOf(':'));
    throw new ScrydonError(
      'key_invalid',
      `key references of the ${scheme}: kind are not supported: scrydon reads keys offline only`,
      {
        hint: 'give a file path, or env://NAME with the PEM in that variable',
      },
    );
  }
  if (ref === '') throw new ScrydonError('key_invalid', 'the key reference is empty');
  return { kind: 'file', path: ref };
}

/** Bounded: a PEM key is a few KiB; anything huge is not a key. */
const MAX_KEY_BYTES = 64 * 1024;

/** The PEM text a reference names. `env` is the value of the variable, read by the CLI (src/ never reads env). */
export async function readKeyRef(r: KeyRef, env: (name: string) => string | undefined): Promise<string> {
  if (r.kind === 'env') {
    const v = env(r.name);
    if (v === undefined || v === '')
      throw new ScrydonError('key_invalid', `environment variable ${r.name} (from env://${r.name}) is not set`);
    return v;
  }
  let buf: Buffer;
  try {
    buf = await readFile(r.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScrydonError(
      code === 'ENOENT' ? 'not_found' : 'io_error',
      `cannot read key file ${r.path}: ${code ?? (e as Error).message}`,
      { cause: e },
    );
  }
  if (buf.byteLength > MAX_KEY_BYTES)
    throw new ScrydonError('key_invalid', `${r.path} is ${buf.byteLength} bytes: not a PEM key`);
  return buf.toString('utf8');
}
