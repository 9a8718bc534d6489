import { Readable } from 'node:stream';
import { copyGraphs, type CopyStats, type RootToCopy } from '../content/copy.js';
import type { EventSink } from '../content/events.js';
import type { IoOptions, ReadOnlyStorage, ReadOnlyTarget, ReferrerLister } from '../content/target.js';
import { verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { parseReference } from '../oci/reference.js';
import { pinnedDigest, storeRefName } from '../names/store.js';
import type { Store } from '../store/store-target.js';
import type { ArchiveSink } from '../archive/archive-sink.js';
import { ArchiveWriter } from '../archive/archive-writer.js';
import { storeToStore } from '../signature/legacy-companions.js';
import { receiptsToCarry } from '../signature/carried-receipts.js';
import { fastPaths } from '../fast-paths.js';
import { saveStoreBulk } from './save-bulk.js';

export interface SaveOptions extends IoOptions {
  /** Every tag in the store (refs are then ignored). */
  all?: boolean;
  /** Carry the store's receipts of what is saved beside the layout (default true). */
  receipts?: boolean;
  /** Digests the receiving store has (from its inventory): left out of the archive. */
  exclude?: ReadonlySet<string>;
  onEvent?: EventSink;
  /** Artifacts from outside the store that the archive carries under their tag (save --trust, --with-tool); the store never gains them. */
  carry?: readonly CarriedArtifact[];
  /**
   * More names in the archive for a saved store name: `save acme.fraud:1.2.0` of a pack the store calls
   * `scrydon.sources/git-…/acme.fraud:1.2.0` writes both, so `oci-archive:x.tar:acme.fraud:1.2.0` (skopeo, podman)
   * and `ls` after a load on the far side show it by the name typed.
   */
  aliases?: ReadonlyMap<string, readonly string[]>;
}

export interface CarriedArtifact {
  ref: string;
  manifest: Descriptor;
  /** Every blob of the artifact (the manifest's bytes too), by digest: its bytes, or a way to stream them (a large file). */
  blobs: ReadonlyMap<string, Buffer | (() => Readable)>;
  /** Where the artifact's referrers (its signatures) are, with their blobs. */
  referrers?: ReadOnlyStorage & ReferrerLister;
  /** Annotations the archive's index.json gains (save --with-tool: where its SHA256SUMS is). */
  indexAnnotations?: Readonly<Record<string, string>>;
}

interface SaveResult extends CopyStats {
  archive: string;
  refs: Array<{ ref: string; digest: string }>;
}

/**
 * Writes the graphs of `refs` (referrers included) to `sink` as a tar holding an OCI image layout: one copy
 * from the store into an ArchiveWriter, plus the store's verification receipts of what it holds
 * (signature/carried-receipts.ts). On failure the partial file is removed.
 */
export async function saveArchive(
  live: Store,
  refs: readonly string[],
  sink: ArchiveSink,
  o: SaveOptions = {},
): Promise<SaveResult> {
  // one read of index.json for the whole save: tags, referrers and .sig companions are looked up in it per manifest
  const store = await live.snapshot();
  const carried = o.carry ?? [];
  // what save carries (--trust, --with-tool) is written even into a delta: the far side may need it before any scrydon
  // runs
  const carriedDigests = new Set(carried.flatMap((a) => [...a.blobs.keys()]));
  const writer = new ArchiveWriter(sink, {
    ...(o.exclude ? { exclude: new Set([...o.exclude].filter((d) => !carriedDigests.has(d))) } : {}),
    annotations: Object.assign({}, ...carried.map((a) => a.indexAnnotations ?? {})) as Record<string, string>,
    // the store's receipts of what the archive holds travel beside it; load keeps them apart as carried
    ...(o.receipts !== false ? { receipts: (holds) => receiptsToCarry(live.paths.root, holds) } : {}),
  });
  try {
    const named = [
      ...(o.all
        ? (await store.tagged()).map((t) => ({ ref: t.ref as string | undefined, d: t.descriptor }))
        : await resolveAll(store, refs)),
      ...carried.map((a) => ({ ref: a.ref, d: a.manifest })),
    ];
    if (named.length === 0)
      throw new ScrydonError('not_found', `the store ${store.name} has no tags to save`, {
        hint: 'build or load a pack first',
      });
    for (const { ref, d } of [...named])
      for (const alias of (ref && o.aliases?.get(ref)) || []) named.push({ ref: alias, d });
    const roots = new Map<string, RootToCopy & { tags: string[] }>();
    for (const { ref, d } of named) {
      let r = roots.get(d.digest);
      if (!r) roots.set(d.digest, (r = { root: d, tags: [] }));
      if (ref === undefined) writer.addUntaggedRoot(d);
      else if (!r.tags.includes(ref)) r.tags.push(ref);
    }
    // every tag of the store and nothing from outside it: the bulk walk (the same archive, without the copy's
    // per-blob machinery; every .sig companion is itself one of the tags)
    const stats =
      o.all && carried.length === 0 && fastPaths()
        ? await saveStoreBulk(store, writer, [...roots.values()], { signal: o.signal, onEvent: o.onEvent })
        : await copyGraphs(carried.length ? storeWith(store, carried) : store, writer, [...roots.values()], {
            includeReferrers: true,
            companions: storeToStore(store),
            signal: o.signal,
            ...(o.onEvent ? { onEvent: o.onEvent } : {}),
          });
    return {
      archive: sink.name,
      refs: named.map(({ ref, d }) => ({ ref: ref ?? d.digest, digest: d.digest })),
      ...stats,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** The store as the copy's source, plus the carried artifacts and their referrers: what the archive alone carries. */
function storeWith(store: Store, carried: readonly CarriedArtifact[]): ReadOnlyTarget & ReferrerLister {
  const blobs = new Map(carried.flatMap((a) => [...a.blobs]));
  const holding = async (d: Descriptor) => {
    for (const a of carried) if (await a.referrers?.exists(d)) return a.referrers;
    return undefined;
  };
  return {
    name: store.name,
    readsAreLocal: true,
    admitted: true,
    resolve: (ref) => store.resolve(ref),
    exists: async (d) => blobs.has(d.digest) || (await holding(d)) !== undefined || store.exists(d),
    fetch: async (d, io) => {
      const b = blobs.get(d.digest);
      if (b !== undefined) return verified(Buffer.isBuffer(b) ? Readable.from([b]) : b(), d, store.name);
      return ((await holding(d)) ?? store).fetch(d, io);
    },
    referrers: async (d) => {
      const own = await Promise.all(
        carried.filter((a) => a.manifest.digest === d.digest).map((a) => a.referrers?.referrers(d) ?? []),
      );
      return [...own.flat(), ...(await store.referrers(d))];
    },
  };
}

/** Store names (tags, and `REPO@sha256:…` pins) keep their name in the archive; bare digests are saved untagged. */
async function resolveAll(
  store: Store,
  refs: readonly string[],
): Promise<Array<{ ref: string | undefined; d: Descriptor }>> {
  const out: Array<{ ref: string | undefined; d: Descriptor }> = [];
  for (const ref of refs) {
    if (pinnedDigest(ref))
      out.push({ ref: parseReference(ref).repository ? storeRefName(ref) : undefined, d: await store.resolve(ref) });
    else {
      const t = await store.findTag(ref);
      out.push({ ref: t.ref, d: t.descriptor });
    }
  }
  return out;
}
