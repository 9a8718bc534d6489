import type { Readable } from 'node:stream';
import type { IoOptions, ReferrerLister, TagLister, Target } from '../content/target.js';
import { ScrydonError } from '../errors.js';
import { plainDescriptor, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { Annotation } from '../oci/media-types.js';
import { updateIndex } from './index-file.js';
import { Store } from './store-target.js';

/**
 * An OCI image layout directory named on the command line (`oci:PATH:REF`), as other tools write it: REF is the
 * `org.opencontainers.image.ref.name` annotation exactly (`latest`, `1.0`, `img:1.0`), not a store tag that
 * defaults to `:latest`. Content, referrers and verification are the Store's own.
 */
export class LayoutDir implements Target, ReferrerLister, TagLister {
  readonly store: Store;
  readonly name: string;

  private constructor(store: Store) {
    this.store = store;
    this.name = `oci:${store.name}`;
  }

  static async open(path: string): Promise<LayoutDir> {
    return new LayoutDir(await Store.open(path));
  }

  exists(d: Descriptor): Promise<boolean> {
    return this.store.exists(d);
  }

  fetch(d: Descriptor): Promise<Readable> {
    return this.store.fetch(d);
  }

  push(d: Descriptor, body: Readable, o?: IoOptions): Promise<void> {
    return this.store.push(d, body, o);
  }

  referrers(d: Descriptor): Promise<Descriptor[]> {
    return this.store.referrers(d);
  }

  async tags(): Promise<string[]> {
    const idx = await this.store.index();
    return idx.manifests
      .map((m) => m.annotations?.[Annotation.refName])
      .filter((r): r is string => r !== undefined)
      .sort();
  }

  async resolve(ref: string): Promise<Descriptor> {
    const idx = await this.store.index();
    const hit = isDigest(ref)
      ? idx.manifests.find((m) => m.digest === ref)
      : idx.manifests.find((m) => m.annotations?.[Annotation.refName] === ref);
    if (hit) return plainDescriptor(hit);
    if (isDigest(ref)) return this.store.resolve(ref);
    const only = idx.manifests.filter((m) => m.annotations?.[Annotation.subject] === undefined);
    throw new ScrydonError('not_found', `${ref} is not in the OCI layout ${this.store.name}`, {
      hint: only.length
        ? `it holds: ${only
            .map((m) => m.annotations?.[Annotation.refName] ?? m.digest)
            .slice(0, 10)
            .join(', ')}`
        : 'the layout is empty',
    });
  }

  async tag(d: Descriptor, ref: string): Promise<void> {
    if (!(await this.store.exists(d)))
      throw new ScrydonError('blob_missing', `cannot tag ${ref}: manifest ${d.digest} is not in ${this.store.name}`);
    await updateIndex(this.store.paths, (idx) => {
      const manifests = idx.manifests.filter((m) => m.annotations?.[Annotation.refName] !== ref);
      manifests.push({ ...plainDescriptor(d), annotations: { [Annotation.refName]: ref } });
      return { index: { ...idx, manifests }, result: undefined };
    });
  }
}
