import { basename } from 'node:path';
import type { IoOptions } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { describeProblems } from '../config/locate.js';
import type { Descriptor } from '../oci/descriptor.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import { formatRemote, parseRemoteReference } from '../names/remote.js';
import { legacySignatureTag } from '../names/store.js';
import type { Remote } from '../registry/remote.js';
import type { SigningKey } from '../signature/keys.js';
import { signArtifact, type SignResult } from '../signature/sign.js';
import { verifySignatures } from '../signature/verify.js';
import { catalogArtifact, type CatalogArtifact } from './catalog-artifact.js';
import { checkCatalogFile } from './catalog-file.js';
import { pushSmallArtifact } from '../verbs/push-artifact.js';
import { DEFAULT_OCI_TAG } from './source-spec.js';

interface CatalogPushOptions extends IoOptions {
  /** Sign the catalog artifact with this key (a bundle referrer; with `legacy`, cosign's `.sig` tag). */
  key?: SigningKey;
  legacy?: boolean;
}

interface PushedCatalog {
  /** REGISTRY/REPOSITORY:TAG as pushed. */
  reference: string;
  descriptor: Descriptor;
  packs: number;
  /** The tag already named this exact artifact. */
  unchanged: boolean;
  signatures: SignResult[];
}

/**
 * Publishes a `scrydon.yaml` as the catalog artifact an `oci` source reads (catalog-spec/publish.md): the file is
 * validated first (nothing is pushed when it has a problem), then the empty config and the catalog layer (each
 * skipped when the repository has it), then the manifest under the tag (`catalog` when `ref` names none). The
 * artifact carries no timestamp, so pushing an unchanged file changes no digest and a node's tick sees no change;
 * when the tag already names it, nothing is pushed, and with `key` it is signed only if no signature by that key
 * verifies yet.
 */
export async function pushCatalog(
  remote: Remote,
  ref: string,
  file: string,
  bytes: Buffer,
  o: CatalogPushOptions = {},
): Promise<PushedCatalog> {
  const { value, problems } = checkCatalogFile(bytes.toString('utf8'));
  if (!value)
    throw new ScrydonError('catalog_invalid', describeProblems(file, problems), {
      hint: 'scrydon validate FILE lists the same problems; the format is catalog-spec/scrydon-catalog.schema.json',
    });
  return pushCheckedCatalog(
    remote,
    ref,
    { artifact: catalogArtifact(bytes, basename(file)), packs: value.packs.length, bytes },
    o,
  );
}

/** A catalog checked already, to push: its artifact, how many packs it lists, and its bytes. */
export interface CheckedCatalog {
  artifact: CatalogArtifact;
  packs: number;
  /** The layer's bytes; undefined when the caller saw the tag name this artifact already (nothing to push). */
  bytes?: Buffer;
}

/**
 * pushCatalog for a catalog checked already (publish checks the catalog it generates as a value, and does not
 * make its YAML again when the registry's tag names the artifact that YAML made before).
 */
export async function pushCheckedCatalog(
  remote: Remote,
  ref: string,
  c: CheckedCatalog,
  o: CatalogPushOptions = {},
): Promise<PushedCatalog> {
  const r = parseRemoteReference(ref);
  if (r.digest !== undefined)
    throw new ScrydonError('usage', `${ref}: a catalog is pushed to a tag, not a digest`, {
      hint: `give REGISTRY/REPOSITORY[:TAG] (the tag defaults to ${DEFAULT_OCI_TAG})`,
    });
  const tag = r.tag ?? DEFAULT_OCI_TAG;
  const artifact = c.artifact;
  const repo = remote.repository(r, { writable: true });
  const config: Descriptor = { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.byteLength };
  const unchanged =
    c.bytes === undefined ||
    !(await pushSmallArtifact(
      repo,
      {
        ...artifact,
        blobs: [
          [config, EMPTY_JSON],
          [artifact.layer, c.bytes],
        ],
      },
      tag,
      o,
    ));
  // an unchanged catalog already signed by this key is not signed again: a re-run adds nothing
  const signed =
    unchanged && o.key
      ? await verifySignatures(repo, artifact.descriptor, {
          ...o,
          requirement: { kind: 'key', key: o.key.publicKey },
          legacyRefs: [legacySignatureTag(artifact.descriptor.digest)],
        }).then(
          () => true,
          () => false,
        )
      : false;
  const signatures =
    o.key && !signed
      ? await signArtifact(repo, artifact.descriptor, o.key, {
          ...(o.signal ? { signal: o.signal } : {}),
          legacy: o.legacy ?? false,
          recursive: false,
          dockerReference: formatRemote({ registry: r.registry, repository: r.repository }),
          legacyTagRef: (d) => legacySignatureTag(d.digest),
        })
      : [];
  return {
    reference: formatRemote({ registry: r.registry, repository: r.repository, tag }),
    descriptor: artifact.descriptor,
    packs: c.packs,
    unchanged,
    signatures,
  };
}
