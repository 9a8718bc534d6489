import { setMaxListeners } from 'node:events';
import { copy, copyGraphs, type CopyResult, type CopyStats } from '../content/copy.js';
import type { EventSink } from '../content/events.js';
import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isFallbackTag, parseReference } from '../oci/reference.js';
import { isGraphNodeType, MediaType } from '../oci/media-types.js';
import type { Store } from '../store/store-target.js';
import {
  formatRemote,
  parseRemoteReference,
  type RemoteReference,
  mountSource,
  pushAllTarget,
} from '../names/remote.js';
import type { Remote } from '../registry/remote.js';
import { storeToRegistry } from '../signature/legacy-companions.js';
import { legacySigs, type TransferOptions } from './options.js';

interface PushResult extends CopyResult {
  source: string;
  target: string;
}

/** `scrydon push REF [TARGET]`: store → registry, referrers included, mounting from the source repository when it can. */
export async function push(
  remote: Remote,
  store: Store,
  ref: string,
  target: string | undefined,
  o: TransferOptions = {},
): Promise<PushResult> {
  const to = parseRemoteReference(target ?? ref);
  if (target === undefined && parseReference(ref).registry === undefined) {
    throw new ScrydonError('usage', `${ref} names no registry; say where to push it`, {
      hint: `scrydon push ${ref} REGISTRY/REPOSITORY:TAG`,
    });
  }
  const dst = remote.repository(to, { writable: true });
  const tags = to.tag ? [to.tag] : to.digest ? [] : [parseReference(ref).tag ?? 'latest'];
  const mountFrom = mountSource(ref, to);
  const result = await copy(store, ref, dst, {
    ...o,
    tags,
    includeReferrers: o.referrers ?? true,
    ...(mountFrom ? { mountFrom } : {}),
    ...legacySigs(o, storeToRegistry(store)),
  });
  if (to.digest && to.digest !== result.root.digest) {
    throw new ScrydonError('digest_mismatch', `${ref} is ${result.root.digest}, not the ${to.digest} the target names`);
  }
  const shown = formatRemote({
    registry: to.registry,
    repository: to.repository,
    ...(tags[0] ? { tag: tags[0] } : { digest: result.root.digest }),
  });
  return { ...result, source: ref, target: shown };
}

interface PushAllResult {
  entries: PushAllEntry[];
  copied: number;
  skipped: number;
  bytes: number;
  referrers: number;
  mounted: number;
}

interface PushAllEntry {
  source: string;
  target: string;
  digest: string;
}

/**
 * `scrydon push --all PREFIX`: every tag of the store (signatures included) under PREFIX. One copy per target
 * repository, so blobs shared by tags of one repository move once.
 */
export async function pushAll(
  remote: Remote,
  store: Store,
  prefix: string,
  o: TransferOptions = {},
): Promise<PushAllResult> {
  const targets = (await store.tagged()).map(({ ref, descriptor }) => ({
    source: ref,
    target: parseRemoteReference(pushAllTarget(prefix, ref)),
    root: descriptor,
  }));
  // a name no registry may take (a referrers fallback tag of a store from before 0.2) stops the push before any upload
  for (const e of targets)
    if (e.target.tag && isFallbackTag(e.target.tag) && e.root.mediaType !== MediaType.ociIndex)
      refuseFallbackTag(e.source);
  return pushGrouped(remote, store, targets, o);
}

/** Repositories pushed at once by pushGrouped (each copy moves up to `concurrency` blobs itself). */
const REPOSITORIES_AT_ONCE = 4;

/** Store roots to registry names (each with its tag), one copy per target repository, referrers included. */

export async function pushGrouped(
  remote: Remote,
  store: Store,
  targets: ReadonlyArray<{ source: string; target: RemoteReference; root: Descriptor }>,
  o: TransferOptions = {},
): Promise<PushAllResult> {
  const byRepo = new Map<string, Array<{ source: string; target: RemoteReference; root: Descriptor }>>();
  for (const t of targets) {
    const key = `${t.target.registry}/${t.target.repository}`;
    byRepo.set(key, [...(byRepo.get(key) ?? []), t]);
  }
  // one copy per repository, REPOSITORIES_AT_ONCE at a time (a site of small packs is hundreds of repositories,
  // each a few requests: one after another, the registry's latency is all a publish would measure); the first
  // failure stops the others, and is what is thrown once they have stopped
  const lists = [...byRepo.values()];
  const stats: Array<CopyStats | undefined> = new Array<CopyStats | undefined>(lists.length);
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  setMaxListeners(0, signal); // every copy in flight listens to it
  let next = 0;
  let failure: { error: unknown } | undefined;
  // which repository of a registry already received each blob in this run: a later repository mounts it from there
  // instead of receiving its bytes again (a config or layer shared by many packs is uploaded once)
  const holders = new Map<string, string>();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < lists.length && !failure; i = next++) {
      const list = lists[i] ?? [];
      const first = list[0];
      if (!first) continue;
      const dst = remote.repository(first.target, { writable: true });
      const { registry, repository } = first.target;
      const onEvent: EventSink = (e) => {
        if ((e.type === 'done' || e.type === 'skipped') && !isGraphNodeType(e.descriptor.mediaType)) {
          const key = `${registry}/${e.descriptor.digest}`;
          if (!holders.has(key)) holders.set(key, repository);
        }
        o.onEvent?.(e);
      };
      try {
        stats[i] = await copyGraphs(
          store,
          dst,
          list.map((e) => ({ root: e.root, tags: e.target.tag ? [e.target.tag] : e.target.digest ? [] : ['latest'] })),
          {
            ...o,
            signal,
            onEvent,
            mountFrom: (d) => holders.get(`${registry}/${d.digest}`),
            includeReferrers: o.referrers ?? true,
            ...legacySigs(o, storeToRegistry(store)),
          },
        );
      } catch (e) {
        failure ??= { error: e };
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REPOSITORIES_AT_ONCE, lists.length) }, worker));
  if (failure) throw failure.error;
  const totals = { copied: 0, skipped: 0, bytes: 0, referrers: 0, mounted: 0 };
  const entries: PushAllEntry[] = [];
  lists.forEach((list, i) => {
    const s = stats[i];
    if (s) for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += s[k];
    for (const e of list) entries.push({ source: e.source, target: formatRemote(e.target), digest: e.root.digest });
  });
  return { entries, ...totals };
}

function refuseFallbackTag(source: string): never {
  throw new ScrydonError(
    'invalid_reference',
    `${source}: its tag has the form sha256-<hex>, where registries without the referrers API keep signatures; nothing was pushed`,
    {
      hint: `give it another name (scrydon tag ${source} NAME:TAG, then scrydon rm ${source}) and push again`,
    },
  );
}
