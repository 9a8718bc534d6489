import type { Descriptor } from '../oci/descriptor.js';
import { parseGraphNode, subjectOf, successors } from '../oci/manifest.js';
import { Annotation, isGraphNodeType } from '../oci/media-types.js';
import type { Digest } from '../oci/digest.js';
import { blobSize } from './blobs.js';
import type { IndexFile } from './index-file.js';
import type { Store } from './store-target.js';

export type FaultKind =
  'missing' | 'size_mismatch' | 'digest_mismatch' | 'invalid_manifest' | 'dangling_tag' | 'not_regular_file';

export interface Fault {
  kind: FaultKind;
  digest: string;
  detail: string;
  ref?: string;
}

interface MarkOptions {
  /** More roots: what live leases hold (lease.ts). Their graphs are kept like a tag's; a root not (yet) there is no fault. */
  leased?: readonly Descriptor[];
  /**
   * What an earlier mark of this store learned, by digest (content never changes under its digest): the children
   * of each blob found (none for a plain blob) and the subject of each untagged manifest. gc marks twice, the
   * second time under its locks: with the cache that one reads only what appeared in between.
   */
  cache?: MarkCache;
  /** How blob sizes and manifest bytes are read; the store's files by default (check answers from its hashing). */
  reads?: MarkReads;
}

export interface MarkReads {
  /** The size of the blob file, undefined when there is none. */
  size(digest: Digest): Promise<number | undefined>;
  /** A manifest's bytes, verified against `d`. */
  bytes(d: Descriptor): Promise<Buffer>;
}

export interface MarkCache {
  children: Map<string, readonly Descriptor[]>;
  subjects: Map<string, string | undefined>;
}

interface Marked {
  /** Every blob digest reachable from a tag, or from a referrer of a reachable manifest. */
  reachable: Set<string>;
  /** Untagged index.json entries whose subject is reachable (kept); the rest are unreachable. */
  liveReferrerEntries: Set<string>;
  faults: Fault[];
}

/**
 * Marks what the store's tags (and leases) keep alive: each tag's graph, each leased graph, then (to a fixed point)
 * referrer manifests whose subject is alive, and their graphs. An orphaned signature does not keep anything alive.
 */
export async function markReachable(store: Store, idx: IndexFile, o: MarkOptions = {}): Promise<Marked> {
  const reachable = new Set<string>();
  const faults: Fault[] = [];
  const subjects = new Map<string, string>(); // untagged entry digest → its subject digest
  const cache = o.cache;
  const reads = o.reads ?? { size: (digest) => blobSize(store.paths, digest), bytes: (d) => store.fetchBytes(d) };

  /** Marks `root`'s graph depth first, children in order; reads only what the cache does not know. */
  const walk = async (root: Descriptor, ref?: string): Promise<void> => {
    const stack: Descriptor[] = [root];
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      if (reachable.has(d.digest)) continue;
      reachable.add(d.digest);
      const known = cache?.children.get(d.digest);
      if (known) {
        // a known manifest's blobs are known too (content never changes under its digest): no stat for them
        for (let i = known.length - 1; i >= 0; i--) {
          const c = known[i] as Descriptor;
          if (isGraphNodeType(c.mediaType)) stack.push(c);
          else reachable.add(c.digest);
        }
        continue;
      }
      const children = await readChildren(d, d === root ? ref : undefined);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Descriptor);
    }
  };

  /** A blob's children, read from the store (none for a plain blob, or a missing or damaged one: a fault). */
  const readChildren = async (d: Descriptor, ref: string | undefined): Promise<readonly Descriptor[]> => {
    const size = await reads.size(d.digest);
    if (size !== d.size) {
      const kind: FaultKind = size === undefined ? (ref ? 'dangling_tag' : 'missing') : 'size_mismatch';
      const detail =
        size === undefined
          ? ref
            ? `tag ${ref} points at a manifest the store lacks`
            : `referenced blob (${d.mediaType}) is not in the store`
          : `blob has ${size} bytes, its descriptor says ${d.size}`;
      faults.push({ kind, digest: d.digest, detail, ...(ref ? { ref } : {}) });
      return [];
    }
    if (!isGraphNodeType(d.mediaType)) {
      cache?.children.set(d.digest, []);
      return [];
    }
    let children: Descriptor[];
    try {
      children = successors(parseGraphNode(await reads.bytes(d), d.mediaType, d.digest));
    } catch (e) {
      faults.push({
        kind: 'invalid_manifest',
        digest: d.digest,
        detail: (e as Error).message,
        ...(ref ? { ref } : {}),
      });
      return [];
    }
    cache?.children.set(d.digest, children);
    return children;
  };

  for (const m of idx.manifests) {
    const ref = m.annotations?.[Annotation.refName];
    if (ref !== undefined) await walk(m, ref);
  }
  for (const d of o.leased ?? []) {
    // a leased blob may still be on its way in: not there is no fault (its writer will bring it, or fail)
    if (!reachable.has(d.digest) && (cache?.children.has(d.digest) || (await reads.size(d.digest)) === d.size))
      await walk(d);
  }

  const untagged = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] === undefined);
  for (const m of untagged) {
    const s = m.annotations?.[Annotation.subject] ?? (await subjectOfUntagged(reads, m, cache));
    if (s) subjects.set(m.digest, s);
  }
  const liveReferrerEntries = new Set<string>();
  for (let changed = true; changed;) {
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

/** The subject of an untagged entry written by another tool (no io.scrydon.subject annotation): opened to see. */
async function subjectOfUntagged(
  reads: MarkReads,
  m: Descriptor,
  cache: MarkCache | undefined,
): Promise<string | undefined> {
  if (cache?.subjects.has(m.digest)) return cache.subjects.get(m.digest);
  if (!isGraphNodeType(m.mediaType) || (await reads.size(m.digest)) !== m.size) return undefined;
  let subject: string | undefined;
  try {
    subject = subjectOf(parseGraphNode(await reads.bytes(m), m.mediaType, m.digest))?.digest;
  } catch {
    // an unreadable untagged manifest keeps nothing alive; check reports blobs that do not hash right
  }
  cache?.subjects.set(m.digest, subject);
  return subject;
}
