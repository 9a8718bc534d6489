import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ScrydonError } from '../errors.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads a PEM certificate (chain) and its key, and checks that they load and belong together. */
export async function loadTls(certFile: string, keyFile: string): Promise<TlsFiles> {
  const read = (f: string, what: string) =>
    readFile(f).catch((e: unknown) => {
      throw new ScrydonError('tls_error', `cannot read the TLS ${what} ${f}: ${(e as Error).message}`);
    });
  const [cert, key] = await Promise.all([read(certFile, 'certificate'), read(keyFile, 'key')]);
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new ScrydonError(
      'tls_error',
      `${certFile} and ${keyFile} are not a PEM certificate and its private key: ${(e as Error).message}`,
      {
        hint: 'give --tls-cert a PEM certificate (chain) and --tls-key the PEM key it was issued for',
      },
    );
  }
  return { cert, key };
}
