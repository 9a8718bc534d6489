import type { IoOptions, ReadOnlyTarget } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { artifactManifest } from '../oci/artifact.js';
import { descriptorOf, type Descriptor } from '../oci/descriptor.js';
import { EMPTY_JSON, MediaType } from '../oci/media-types.js';
import { readNode } from '../pack/read.js';
import type { AttestationReceipt } from '../signature/attestation-receipts.js';
import type { SmallArtifact } from '../verbs/push-artifact.js';

/**
 * The lock of a catalog (catalog-spec/reconcile.md "Lock"): per pack id, version, manifest digest and signer, and
 * the catalog revision. A node's reconcile writes one after each successful run (`state/<source>.lock.json`, and
 * a referrer of the catalog in its store); `publish` writes one for the catalog it generates, as a referrer of
 * that catalog in the site registry. `reconcile --locked` installs exactly these digests or fails.
 */
export interface LockedPack {
  id: string;
  version: string;
  /** Manifest digest. */
  digest: string;
  /** The catalog's artifact: an OCI reference or `git-tar PATH@REF`. */
  artifact: string;
  /** `key <fingerprint>` or `<identity> (issuer <issuer>)`; null when the source allows unsigned packs. */
  signer: string | null;
  /** git-tar: the commit the pack was packed at (`--locked` packs that commit again). */
  revision?: string;
  /** Which attestation satisfied which of the source's attestation rules (absent when it requires none). */
  attestations?: AttestationReceipt[];
}

export interface ReconcileLock {
  schemaVersion: 1;
  source: { name: string; type: string; url: string; ref: string; catalogPath: string };
  /** The git commit or the catalog manifest digest. */
  revision: string;
  /** The catalog artifact in the store. */
  catalogDigest: string;
  createdAt: string;
  packs: LockedPack[];
}

const MAX_LOCK_BYTES = 8 * 1024 * 1024;

function bad(where: string, why: string): ScrydonError {
  return new ScrydonError('state_invalid', `lock ${where}: ${why}`, {
    hint: 'remove it; the next successful run writes a new one',
  });
}

export function parseLock(text: string, where: string): ReconcileLock {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(where, `not JSON (${(e as Error).message})`);
  }
  const l = v as Partial<ReconcileLock> | null;
  if (
    typeof l !== 'object' ||
    l === null ||
    l.schemaVersion !== 1 ||
    typeof l.revision !== 'string' ||
    typeof l.catalogDigest !== 'string' ||
    !Array.isArray(l.packs) ||
    typeof l.source !== 'object' ||
    l.source === null
  ) {
    throw bad(where, 'not a reconcile lock (schemaVersion 1)');
  }
  for (const p of l.packs as unknown[]) {
    const q = p as Partial<LockedPack> | null;
    if (
      typeof q !== 'object' ||
      q === null ||
      typeof q.id !== 'string' ||
      typeof q.version !== 'string' ||
      typeof q.digest !== 'string' ||
      !(q.signer === null || typeof q.signer === 'string')
    ) {
      throw bad(where, 'a pack entry lacks id, version, digest or signer');
    }
    // --locked requires these attestations: an entry it could not match must not pass as no pin
    const a = q.attestations as unknown;
    if (
      a !== undefined &&
      !(
        Array.isArray(a) &&
        a.every(
          (x: Partial<AttestationReceipt> | null) => typeof x?.rule === 'string' && typeof x.attestation === 'string',
        )
      )
    )
      throw bad(where, `pack ${q.id} ${q.version}: attestations is not a list of {rule, attestation, …}`);
  }
  return l as ReconcileLock;
}

/** Two locks that say the same (the time they were written aside). */
export function sameLock(a: ReconcileLock | undefined, b: ReconcileLock): boolean {
  if (!a) return false;
  const strip = (l: ReconcileLock) => JSON.stringify({ ...l, createdAt: '' });
  return strip(a) === strip(b);
}

/** The lock as an artifact referring to its catalog (`application/vnd.scrydon.lock.v1+json`, one layer). */
export function lockArtifact(lock: ReconcileLock, catalog: Descriptor): SmallArtifact {
  const bytes = Buffer.from(JSON.stringify(lock, null, 2) + '\n');
  const layer = descriptorOf(MediaType.reconcileLock, bytes);
  const m = artifactManifest(MediaType.reconcileLock, [layer], undefined, catalog);
  return {
    descriptor: m.descriptor,
    manifestBytes: m.manifestBytes,
    blobs: [
      [m.config, EMPTY_JSON],
      [layer, bytes],
    ],
  };
}

/** Reads a lock artifact from `target` (a store or a registry); undefined for a manifest that is not a lock. */
export async function readLockArtifact(
  target: ReadOnlyTarget,
  d: Descriptor,
  o: IoOptions = {},
): Promise<ReconcileLock | undefined> {
  const { node } = await readNode(target, d, o);
  if (node.kind !== 'manifest' || node.manifest.artifactType !== MediaType.reconcileLock) return undefined;
  const layer = node.manifest.layers.find((l) => l.mediaType === MediaType.reconcileLock);
  if (!layer) return undefined;
  const bytes = await readAllBounded(
    verified(await target.fetch(layer, o), layer, target.name),
    MAX_LOCK_BYTES,
    `lock ${layer.digest}`,
  );
  return parseLock(bytes.toString('utf8'), `${d.digest} in ${target.name}`);
}
