import { prompt } from './prompt.js';
import { ScrydonError } from '../src/errors.js';
import { parseKeyRef, readKeyRef } from '../src/signature/key-ref.js';
import type { Receipt } from '../src/signature/receipts.js';
import { parsePrivateKey, parsePublicKey, type PublicKeyInfo, type SigningKey } from '../src/signature/keys.js';
import type { Context } from './context.js';
import type { Argv } from 'yargs';
import type { ReadOnlyTarget, Target } from '../src/content/target.js';
import type { Descriptor } from '../src/oci/descriptor.js';
import { parseReference } from '../src/oci/reference.js';
import { formatRemote, parseRemoteReference, referenceTarget } from '../src/registry/hosts.js';
import { legacySignatureTag } from '../src/signature/legacy-format.js';
import { storeLegacyRef, storeLegacyRefs, storeRepositoryFor } from '../src/signature/locations.js';
import { LeasedStore } from '../src/store/leased-store.js';
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
  return parsePrivateKey(pem, needsPassword ? await keyPassword(ctx) : undefined, ref.startsWith('env://') ? ref : `key ${ref}`);
}

/** The public key a `--key` reference names (cosign.pub, env://, or a PEM certificate). */
export async function loadPublicKey(ref: string, ctx: Context): Promise<PublicKeyInfo> {
  const r = parseKeyRef(ref);
  return parsePublicKey(await readKeyRef(r, (n) => ctx.envVar(n)), ref.startsWith('env://') ? ref : `key ${ref}`);
}

// -- where a sign/verify command works: the local store, or a registry repository


export interface Located {
  where: 'store' | 'registry';
  target: Target & ReadOnlyTarget;
  descriptor: Descriptor;
  /** The reference as given named a tag (cosign warns: the digest it resolved to is what gets signed). */
  byTag: boolean;
  /** The repository the legacy payload names. */
  dockerReference: string;
  /** Where this target keeps `d`'s legacy `.sig` tag when writing. */
  legacyTagRef: (d: Descriptor) => string;
  /** Where to look for `d`'s legacy `.sig` tags when verifying. */
  legacyRefs: (d: Descriptor) => Promise<string[]>;
  close: () => Promise<void>;
}

export interface WhereArgs {
  remote: boolean;
}

export function whereFlag<T>(y: Argv<T>): Argv<T & WhereArgs> {
  return y.option('remote', { type: 'boolean', default: false, describe: 'work on the registry the reference names, not the local store' }) as unknown as Argv<T & WhereArgs>;
}

/**
 * The local store (the default: works with no network), or with --remote the registry repository `ref` names.
 * Nothing but --remote reaches a registry: a name the store does not hold is `not_found`, never looked up.
 */
export async function locate(ref: string, args: WhereArgs & RegistryArgs, ctx: Context, writable: boolean): Promise<Located> {
  const byTag = parseReference(ref).digest === undefined;
  if (!args.remote) {
    const store = await ctx.store();
    // signing writes into the store: under a lease, so gc keeps what it pushes until the signature is recorded
    const leased = writable ? new LeasedStore(store) : undefined;
    try {
      const descriptor = await (leased ?? store).resolve(ref);
      const repo = byTag || parseReference(ref).repository ? await storeRepositoryFor(store, ref, descriptor) : undefined;
      return {
        where: 'store',
        target: leased ?? store,
        descriptor,
        byTag,
        dockerReference: repo ?? 'scrydon.local/unnamed',
        legacyTagRef: (d) => {
          if (!repo) throw new ScrydonError('usage', `${ref} is a bare digest; name it by a tag to write a legacy .sig tag`);
          return storeLegacyRef(repo, d);
        },
        legacyRefs: (d) => storeLegacyRefs(store, d),
        close: async () => leased?.release(),
      };
    } catch (e) {
      await leased?.release();
      // without --remote only the store is read: a name it does not hold is not looked for on the network
      if (e instanceof ScrydonError && e.code === 'not_found' && parseReference(ref).registry !== undefined) {
        throw new ScrydonError('not_found', `${ref} is not in the local store (without --remote, nothing is read from a registry)`, {
          hint: `pull it first (scrydon pull ${ref}), or work on the registry itself with --remote`,
          cause: e,
        });
      }
      throw e;
    }
  }
  const r = parseRemoteReference(ref);
  const remote = await openRemote(args, ctx, [r.registry]);
  try {
    const target = remote.repository(r, { writable });
    const descriptor = await target.resolve(referenceTarget(r), { signal: ctx.signal });
    return {
      where: 'registry',
      target,
      descriptor,
      byTag,
      dockerReference: formatRemote({ registry: r.registry, repository: r.repository }),
      legacyTagRef: (d) => legacySignatureTag(d.digest),
      legacyRefs: async (d) => [legacySignatureTag(d.digest)],
      close: () => remote.close(),
    };
  } catch (e) {
    await remote.close();
    throw e;
  }
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

/** Verification receipts as `inspect` shows them. */
export function receiptText(receipts: readonly Receipt[]): string {
  const lines = ['', `Verification receipts (${receipts.length}):`];
  for (const r of receipts) {
    const who = r.signer.kind === 'key' ? `key ${r.signer.fingerprint}` : `${r.signer.identity} (issuer ${r.signer.issuer})`;
    lines.push(`  ${r.verifiedAt}  ${r.format}  ${who}  trust root ${r.trustRoot ?? 'none'}`);
  }
  return lines.join('\n');
}

/** The name a stored artifact goes by for policy matching: the reference's repository, or a tag's. */
export async function storeNameFor(ctx: Context, ref: string, d: Descriptor): Promise<string> {
  return storeRepositoryFor(await ctx.store(), ref, d);
}
