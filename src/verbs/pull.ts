import { copy, type CopyResult } from '../content/copy.js';
import type { Store } from '../store/store-target.js';
import { formatRemote, parseRemoteReference } from '../names/remote.js';
import type { Remote } from '../registry/remote.js';
import { registryToStore } from '../signature/legacy-companions.js';
import { copyIntoStore } from './into-store.js';
import { legacySigs, type TransferOptions } from './options.js';
import { storeTagFor } from '../names/store.js';

interface PullResult extends CopyResult {
  /** The store tag the artifact is kept under: its remote name. */
  tag: string;
  source: string;
}

/** `scrydon pull REF`: registry → store, tag resolved to a digest once, referrers along, tagged with the remote name. */
export async function pull(remote: Remote, store: Store, ref: string, o: TransferOptions = {}): Promise<PullResult> {
  const r = parseRemoteReference(ref);
  const src = remote.repository(r);
  const tag = storeTagFor(r);
  // the tag is resolved while the staging area is prepared (its files are fsynced: a round trip's worth)
  const root = src.resolve(r.digest ?? r.tag ?? 'latest', { signal: o.signal });
  root.catch(() => undefined); // copy() awaits it; a staging failure must not leave it unhandled
  const result = await copyIntoStore(store, (dst) =>
    copy(src, root, dst, {
      ...o,
      tags: [tag],
      includeReferrers: o.referrers ?? true,
      ...legacySigs(o, registryToStore(src, formatRemote({ registry: r.registry, repository: r.repository }))),
    }),
  );
  return { ...result, tag, source: formatRemote(r) };
}
