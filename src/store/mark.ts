import type { Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, subjectOf, successors } from '../oci/manifest.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import { blobSize, hasBlob } from './blobs.js';
import type { IndexFile } from './index-file.js';
import type { Store } from './store-target.js';

export type FaultKind = 'missing' | 'size_mismatch' | 'digest_mismatch' | 'invalid_manifest' | 'dangling_tag' | 'not_regular_file';

export interface Fault {
  kind: FaultKind;
  digest: string;
  detail: string;
  ref?: string;
}

export interface Marked {
  /** Every blob digest reachable from a tag, or from a referrer of a reachable manifest. */
  reachable: Set<string>;
  /** Untagged index.json entries whose subject is reachable (kept); the rest are unreachable. */
  liveReferrerEntries: Set<string>;
  faults: Fault[];
}

/**
 * Marks what the store's tags keep alive: each tag's graph, then (to a fixed point) referrer manifests whose
 * subject is alive, and their graphs. An orphaned signature does not keep anything alive.
 */
export async function markReachable(store: Store, idx: IndexFile): Promise<Marked> {
  const reachable = new Set<string>();
  const faults: Fault[] = [];
  const subjects = new Map<string, string>(); // untagged entry digest → its subject digest

  const walk = async (d: Descriptor, ref?: string): Promise<void> => {
    if (reachable.has(d.digest)) return;
    reachable.add(d.digest);
    const size = await blobSize(store.paths, d.digest);
    if (size !== d.size) {
      const kind: FaultKind = size === undefined ? (ref ? 'dangling_tag' : 'missing') : 'size_mismatch';
      const detail =
        size === undefined
          ? ref
            ? `tag ${ref} points at a manifest the store lacks`
            : `referenced blob (${d.mediaType}) is not in the store`
          : `blob has ${size} bytes, its descriptor says ${d.size}`;
      faults.push({ kind, digest: d.digest, detail, ...(ref ? { ref } : {}) });
      return;
    }
    if (!isGraphNodeType(d.mediaType)) return;
    let children: Descriptor[];
    try {
      children = successors(parseGraphNode(await store.fetchBytes(d), d.mediaType, d.digest));
    } catch (e) {
      faults.push({ kind: 'invalid_manifest', digest: d.digest, detail: (e as Error).message, ...(ref ? { ref } : {}) });
      return;
    }
    for (const c of children) await walk(c);
  };

  for (const m of idx.manifests) {
    const ref = m.annotations?.[Annotation.refName];
    if (ref !== undefined) await walk(m, ref);
  }

  const untagged = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] === undefined);
  for (const m of untagged) {
    const s = m.annotations?.[Annotation.subject];
    if (s) subjects.set(m.digest, s);
    else if (isGraphNodeType(m.mediaType) && (await hasBlob(store.paths, m))) {
      try {
        const subj = subjectOf(parseGraphNode(await store.fetchBytes(m), m.mediaType, m.digest));
        if (subj) subjects.set(m.digest, subj.digest);
      } catch {
        // an unreadable untagged manifest keeps nothing alive; check reports blobs that do not hash right
      }
    }
  }
  const liveReferrerEntries = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of untagged) {
      const s = subjects.get(m.digest);
      if (s && reachable.has(s) && !liveReferrerEntries.has(m.digest)) {
        liveReferrerEntries.add(m.digest);
        await walk(m);
        changed = true;
      }
    }
  }
  return { reachable, liveReferrerEntries, faults };
}
