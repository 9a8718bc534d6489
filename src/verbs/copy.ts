import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { copy, type CopyResult } from '../content/copy.js';
import type { ReadOnlyTarget, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { Annotation } from '../oci/media-types.js';
import { parseReference, repositoryName } from '../oci/reference.js';
import { LayoutDir } from '../store/layout-dir.js';
import { normalizeTag } from '../names/store.js';
import type { Store } from '../store/store-target.js';
import { formatRemote, referenceTarget, mountSource } from '../names/remote.js';
import type { Location } from '../registry/location.js';
import type { Remote } from '../registry/remote.js';
import { copyIntoStore } from './into-store.js';
import type { TransferOptions } from './options.js';
import { inRepository, inStore, legacyCompanions, type SignaturePlacement } from '../signature/legacy-companions.js';

interface CopyEndpointsResult extends CopyResult {
  source: string;
  target: string;
}

/** A source location as a Target, with the reference to resolve in it. */
interface Source {
  target: ReadOnlyTarget;
  ref: string;
  shown: string;
  /** The tag the source goes by (a destination without a name of its own takes it). */
  tag: string | undefined;
}

async function openSource(loc: Location, store: () => Promise<Store>, remote: Remote): Promise<Source> {
  if (loc.kind === 'store') {
    const r = parseReference(loc.ref);
    return {
      target: await store(),
      ref: loc.ref,
      shown: r.digest ? loc.ref : normalizeTag(loc.ref),
      tag: r.digest ? undefined : (r.tag ?? 'latest'),
    };
  }
  if (loc.kind === 'remote')
    return {
      target: remote.repository(loc.ref),
      ref: referenceTarget(loc.ref),
      shown: formatRemote(loc.ref),
      tag: loc.ref.tag,
    };
  try {
    await access(join(loc.path, 'oci-layout'));
  } catch {
    throw new ScrydonError('not_found', `${loc.path} is not an OCI image layout (no oci-layout file)`);
  }
  const dir = await LayoutDir.open(loc.path);
  let ref = loc.ref;
  if (ref === undefined) {
    const named = (await dir.store.index()).manifests.filter((m) => m.annotations?.[Annotation.subject] === undefined);
    const only = named.length === 1 ? named[0] : undefined;
    if (!only)
      throw new ScrydonError(
        'usage',
        `oci:${loc.path} holds ${named.length} artifacts; name one as oci:${loc.path}:REF`,
      );
    ref = only.annotations?.[Annotation.refName] ?? only.digest;
  }
  return { target: dir, ref, shown: `oci:${loc.path}:${ref}`, tag: ref.startsWith('sha256:') ? undefined : ref };
}

/** The tag a copy writes at its destination: the destination's own name, else the source's tag. */
function destinationTag(dst: Location, srcTag: string | undefined): string | undefined {
  if (dst.kind === 'remote') return dst.ref.tag ?? (dst.ref.digest ? undefined : (srcTag ?? 'latest'));
  if (dst.kind === 'layout') return dst.ref ?? srcTag;
  return normalizeTag(dst.ref);
}

/**
 * `scrydon copy SRC DST`: one location to another through the one copy routine. Into the store the copy is
 * staged (all or nothing); within one registry, blobs are mounted instead of sent.
 */
export async function copyLocations(
  src: Location,
  dst: Location,
  store: () => Promise<Store>,
  remote: Remote,
  o: TransferOptions = {},
): Promise<CopyEndpointsResult> {
  const from = await openSource(src, store, remote);
  const tag = destinationTag(dst, from.tag);
  const withSignatures = o.referrers ?? true;
  // cosign's legacy .sig tags travel in every direction, each side keeping them its own way
  const placement: SignaturePlacement =
    dst.kind === 'store'
      ? { kind: 'store', repository: repositoryName(parseReference(tag ?? dst.ref)) }
      : { kind: 'repository' };
  const companions = legacyCompanions(
    src.kind === 'store' ? inStore(await store()) : inRepository(from.target),
    placement,
  );
  const opts = {
    ...o,
    includeReferrers: withSignatures,
    tags: tag ? [tag] : [],
    ...(withSignatures ? { companions } : {}),
  };
  if (dst.kind === 'store') {
    const result = await copyIntoStore(await store(), (staging) => copy(from.target, from.ref, staging, opts));
    return { ...result, source: from.shown, target: tag ?? dst.ref };
  }
  let target: Target;
  let shown: string;
  let mountFrom: string | undefined;
  if (dst.kind === 'layout') {
    target = await LayoutDir.open(dst.path);
    shown = `oci:${dst.path}${tag ? `:${tag}` : ''}`;
  } else {
    target = remote.repository(dst.ref, { writable: true });
    shown = formatRemote({ ...dst.ref, ...(tag ? { tag } : {}) });
    if (src.kind === 'remote' && src.ref.registry === dst.ref.registry && src.ref.repository !== dst.ref.repository)
      mountFrom = src.ref.repository;
    if (src.kind === 'store') mountFrom = mountSource(src.ref, dst.ref);
  }
  const result = await copy(from.target, from.ref, target, { ...opts, ...(mountFrom ? { mountFrom } : {}) });
  return { ...result, source: from.shown, target: shown };
}
