import type { IoOptions } from '../content/target.js';
import { inspectArtifact, type InspectResult } from '../pack/inspect.js';
import { formatRemote, parseRemoteReference, referenceTarget } from '../names/remote.js';
import type { Remote } from '../registry/remote.js';

/**
 * `scrydon inspect` of a remote reference: the manifest and config only (the layer too only for packs that
 * carry pack.json in it, as `oras push` lays them out). Nothing is stored.
 */
export async function inspectRemote(remote: Remote, ref: string, o: IoOptions = {}): Promise<InspectResult> {
  const r = parseRemoteReference(ref);
  const result = await inspectArtifact(remote.repository(r), referenceTarget(r), {
    skipLayer: true,
    signal: o.signal,
    walkLimits: o.walkLimits,
  });
  return { ...result, reference: formatRemote(r) };
}
