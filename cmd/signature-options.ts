import { prompt } from './prompt.js';
import { ScrydonError } from '../src/errors.js';
import { parseKeyRef, readKeyRef } from '../src/signature/key-ref.js';
import { parsePrivateKey, parsePublicKey, type PublicKeyInfo, type SigningKey } from '../src/signature/keys.js';
import type { Context } from './context.js';
import type { Argv } from 'yargs';
import { locate as locateIn, type Located } from '../src/verbs/locate.js';
import { openRemote, type RegistryArgs } from './registry-options.js';

function onTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** The key password: COSIGN_PASSWORD, else a prompt on a terminal, else undefined (the key then fails with key_password). */
export async function keyPassword(ctx: Context, confirm = false): Promise<string | undefined> {
  const fromEnv = ctx.cosignPassword();
  if (fromEnv !== undefined) return fromEnv;
  if (!onTerminal()) return undefined;
  const first = await prompt('Enter password for private key: ', true);
  if (confirm && (await prompt('Enter password for private key again: ', true)) !== first) {
    throw new ScrydonError('key_password', 'the two passwords differ');
  }
  return first;
}

/** The private key a `--key` reference names (file or env://), decrypted. */
export async function loadSigningKey(ref: string, ctx: Context): Promise<SigningKey> {
  const r = parseKeyRef(ref);
  const pem = await readKeyRef(r, (n) => ctx.envVar(n));
  const needsPassword = pem.includes('ENCRYPTED SIGSTORE PRIVATE KEY') || pem.includes('ENCRYPTED COSIGN PRIVATE KEY');
  return parsePrivateKey(
    pem,
    needsPassword ? await keyPassword(ctx) : undefined,
    ref.startsWith('env://') ? ref : `key ${ref}`,
  );
}

/** The public key a `--key` reference names (cosign.pub, env://, or a PEM certificate). */
export async function loadPublicKey(ref: string, ctx: Context): Promise<PublicKeyInfo> {
  const r = parseKeyRef(ref);
  return parsePublicKey(await readKeyRef(r, (n) => ctx.envVar(n)), ref.startsWith('env://') ? ref : `key ${ref}`);
}

/** @public (named in the commands' declared types) */
export interface RefAndKeyArgs {
  ref: string;
  key: string;
}

/** The artifact to sign or attest and the private key: sign's and attest's first arguments. */
export function refAndKey(y: Argv): Argv<RefAndKeyArgs> {
  return y
    .positional('ref', {
      type: 'string',
      demandOption: true,
      describe: 'store tag or digest (with --remote: REGISTRY/REPOSITORY[:TAG|@DIGEST])',
    })
    .option('key', {
      type: 'string',
      demandOption: true,
      describe: 'private key: a path (cosign.key) or env://NAME; password from COSIGN_PASSWORD or a prompt',
    }) as unknown as Argv<RefAndKeyArgs>;
}

/** @public (named in the commands' declared types) */
export interface WhereArgs {
  remote: boolean;
}

export function whereFlag<T>(y: Argv<T>): Argv<T & WhereArgs> {
  return y.option('remote', {
    type: 'boolean',
    default: false,
    describe: 'work on the registry the reference names, not the local store',
  }) as unknown as Argv<T & WhereArgs>;
}

/** The store (the default), or with --remote the registry repository `ref` names (src/verbs/locate.ts). */
export function locate(ref: string, args: WhereArgs & RegistryArgs, ctx: Context, writable: boolean): Promise<Located> {
  return locateIn(
    ref,
    args.remote,
    { store: () => ctx.store(), openRemote: (registries) => openRemote(args, ctx, registries), signal: ctx.signal },
    writable,
  );
}

/** `-a key=value` flags as a map. */
export function annotationsFrom(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ScrydonError('usage', `-a "${a}" is not key=value`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** cosign's warning when a tag names what is signed or attested: the digest it names now is what is. */
export function warnIfTag(at: Located, ctx: Context, verb: 'sign' | 'attest'): void {
  if (at.byTag)
    ctx.warn(
      `${at.ref} is a tag; ${verb}ing the digest it names now, ${at.descriptor.digest} (${verb} by digest to be sure what you ${verb})`,
    );
}
