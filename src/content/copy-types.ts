import type { Descriptor } from '../oci/descriptor.js';
import type { EventSink } from './events.js';
import type { IoOptions } from './target.js';

export interface CopyOptions extends IoOptions {
  /** Blobs in flight at once (default 4, as oras and containerd use 3–4). */
  concurrency?: number;
  /** Also copy the manifests that refer to each copied manifest (signatures, attestations), recursively. */
  includeReferrers?: boolean;
  /**
   * Tagged manifests that travel with a copied manifest although no `subject` links them (cosign's legacy
   * `sha256-<hex>.sig` tags): asked for each manifest of the walk, copied with the same walk, and tagged in
   * the destination (before the roots) under the tags returned.
   */
  companions?: (node: Descriptor, o: IoOptions) => Promise<RootToCopy[]>;
  /** References to tag the root with in the destination, written last. */
  tags?: readonly string[];
  onEvent?: EventSink;
  /**
   * A repository on the destination's registry that may already hold the blobs (pushing what was pulled from
   * there, or copying within one registry): each blob is first offered to a Mounter destination to mount from it.
   * A function names the repository per blob (undefined: none holds it; push --all and publish know which of the
   * repositories they already filled hold a blob).
   */
  mountFrom?: string | ((d: Descriptor) => string | undefined);
}

export interface CopyStats {
  copied: number;
  skipped: number;
  bytes: number;
  referrers: number;
  /** Blobs made present by cross-repository mount (no bytes sent). */
  mounted: number;
}

export interface CopyResult extends CopyStats {
  root: Descriptor;
}

export interface RootToCopy {
  root: Descriptor;
  tags: readonly string[];
}
