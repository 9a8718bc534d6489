import { Readable } from 'node:stream';
import type { IoOptions, TaggingPusher, Target } from '../content/target.js';
import type { Descriptor } from '../oci/descriptor.js';

/** A small artifact held in memory: its manifest and the blobs it names. */
export interface SmallArtifact {
  descriptor: Descriptor;
  manifestBytes: Buffer;
  blobs: ReadonlyArray<readonly [Descriptor, Buffer]>;
}

/**
 * Pushes a small artifact under `tag`: each blob the target lacks (one HEAD each), then the manifest and its tag.
 * When the tag already names this manifest nothing is pushed (one HEAD); returns whether anything was.
 */
export async function pushSmallArtifact(
  target: Target & TaggingPusher,
  a: SmallArtifact,
  tag: string,
  o: IoOptions = {},
): Promise<boolean> {
  const there = await target.resolve(tag, o).then(
    (d) => d.digest === a.descriptor.digest,
    () => false,
  );
  if (there) return false;
  for (const [d, body] of a.blobs) if (!(await target.exists(d, o))) await target.push(d, Readable.from([body]), o);
  await target.pushTagged(a.descriptor, a.manifestBytes, tag, o);
  return true;
}
