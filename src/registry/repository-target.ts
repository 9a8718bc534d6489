import { Readable } from 'node:stream';
import type { FetchOptions, IoOptions, ReferrerLister, TaggingPusher, TagLister, Target } from '../content/target.js';
import { readAllBounded, verified } from '../content/verify-stream.js';
import { ScrydonError } from '../errors.js';
import { MAX_MANIFEST_BYTES, type Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import { parseGraphNode, subjectOf } from '../oci/manifest.js';
import { isGraphNodeType, MediaType } from '../oci/media-types.js';
import { blobExists, fetchBlob, mountBlob } from './blobs.js';
import type { RegistryClient } from './client.js';
import { canonicalRegistry, parseRemoteReference } from '../names/remote.js';
import { fetchManifest, manifestExists, putManifest, resolveManifest, type RepoRef } from './manifests.js';
import { BytesLru } from '../content/bytes-lru.js';
import { addToFallbackIndex, fallbackEntry, isFallbackTag, type ReferrersProbe } from './referrers.js';
import { listTags } from './tags.js';
import { uploadBlob } from './upload.js';

interface RepositoryTargetOptions {
  /** The repository is a destination: requests ask for push scope from the start (one token, not two). */
  writable?: boolean;
  /** Shared per registry: whether it has the referrers API, and what the user chose. */
  referrers: ReferrersProbe;
}

/**
 * A repository on a registry, as a Target: manifests and blobs by digest, tags, tag listing, referrers (API or
 * tag schema) and cross-repository mount. Every byte it serves is checked: manifests here, blobs by the
 * VerifyStream it returns.
 */
export class RepositoryTarget implements Target, ReferrerLister, TagLister, TaggingPusher {
  readonly name: string;
  readonly client: RegistryClient;
  readonly repository: string;
  /** A registry refuses an upload whose bytes do not match the digest it is closed with (distribution spec). */
  readonly verifiesDigests = true;
  readonly #writable: boolean;
  readonly #referrers: ReferrersProbe;
  readonly #manifests = new BytesLru(MAX_MANIFEST_BYTES * 2);
  /** Referrer pushes that update the same subject's fallback index run one at a time. */
  readonly #fallbackLocks = new Map<string, Promise<void>>();

  constructor(client: RegistryClient, repository: string, o: RepositoryTargetOptions) {
    this.client = client;
    this.repository = repository;
    this.name = `${client.registry}/${repository}`;
    this.#writable = o.writable ?? false;
    this.#referrers = o.referrers;
  }

  #ref(o: IoOptions = {}): RepoRef {
    return {
      client: this.client,
      repository: this.repository,
      name: this.name,
      writable: this.#writable,
      signal: o.signal,
      walkLimits: o.walkLimits,
    };
  }

  /** A tag, a digest, or a full reference to this repository, as the tag or digest to ask the registry for. */
  #reference(ref: string): string {
    if (isDigest(ref) || (!ref.includes('/') && !ref.includes(':') && !ref.includes('@'))) return ref;
    const r = parseRemoteReference(ref);
    if (canonicalRegistry(r.registry) !== this.client.registry || r.repository !== this.repository) {
      throw new ScrydonError('invalid_reference', `${ref} is not in ${this.name}`);
    }
    return r.digest ?? r.tag ?? 'latest';
  }

  async resolve(ref: string, o: IoOptions = {}): Promise<Descriptor> {
    const { descriptor, bytes } = await resolveManifest(this.#ref(o), this.#reference(ref));
    if (bytes) this.#manifests.set(descriptor.digest, bytes);
    return descriptor;
  }

  async fetch(d: Descriptor, o: FetchOptions = {}): Promise<Readable> {
    if (isGraphNodeType(d.mediaType)) {
      const bytes = this.#manifests.get(d.digest) ?? (await fetchManifest(this.#ref(o), d));
      return verified(Readable.from([bytes]), d, this.name);
    }
    return fetchBlob(this.#ref(o), d, o.sizeOnly);
  }

  async exists(d: Descriptor, o: IoOptions = {}): Promise<boolean> {
    return isGraphNodeType(d.mediaType) ? manifestExists(this.#ref(o), d.digest) : blobExists(this.#ref(o), d);
  }

  async push(d: Descriptor, body: Readable, o: IoOptions = {}): Promise<void> {
    if (!isGraphNodeType(d.mediaType)) {
      await uploadBlob(this.#ref(o), d, body);
      return;
    }
    const bytes = await readAllBounded(
      verified(body, d, `manifest ${d.digest}`),
      MAX_MANIFEST_BYTES,
      `manifest ${d.digest}`,
    );
    const node = parseGraphNode(bytes, d.mediaType, `manifest ${d.digest}`);
    const { ociSubject } = await putManifest(this.#ref(o), d.digest, d, bytes);
    this.#manifests.set(d.digest, bytes);
    const subject = subjectOf(node);
    if (subject && (await this.#referrers.needsFallback(this.#ref(o), subject, ociSubject))) {
      await this.#serial(subject.digest, () => addToFallbackIndex(this.#ref(o), subject, fallbackEntry(d, node)));
    }
  }

  /** A manifest stored under a tag in one PUT; one with a subject goes by digest first (its referrers index). */
  async pushTagged(d: Descriptor, bytes: Buffer, ref: string, o: IoOptions = {}): Promise<void> {
    if (subjectOf(parseGraphNode(bytes, d.mediaType, `manifest ${d.digest}`)))
      await this.push(d, Readable.from([bytes]), o);
    else this.#manifests.set(d.digest, bytes);
    await this.tag(d, ref, o);
  }

  async tag(d: Descriptor, ref: string, o: IoOptions = {}): Promise<void> {
    const tag = this.#reference(ref);
    if (isDigest(tag)) throw new ScrydonError('invalid_reference', `"${ref}" is a digest; a tag is needed`);
    // a registry without the referrers API keeps a subject's referrers in the index tagged sha256-<hex>: anything
    // else written there would lose them (the distribution spec reserves the tag for that index)
    if (isFallbackTag(tag) && d.mediaType !== MediaType.ociIndex) {
      throw new ScrydonError(
        'invalid_reference',
        `${this.name}:${tag}: the tag sha256-<hex> holds referrers (signatures) on registries without the referrers API; a ${d.mediaType} may not be written there`,
        {
          hint: 'push it by digest, or under another tag',
        },
      );
    }
    const bytes = this.#manifests.get(d.digest) ?? (await fetchManifest(this.#ref(o), d));
    await putManifest({ ...this.#ref(o), writable: true }, tag, d, bytes);
  }

  async tags(o: IoOptions = {}): Promise<string[]> {
    return listTags(this.#ref(o));
  }

  async referrers(d: Descriptor, o: IoOptions = {}): Promise<Descriptor[]> {
    return this.#referrers.list(this.#ref(o), d);
  }

  /** Mounts blob `d` from another repository of the same registry; false when the registry declines. */
  async mount(d: Descriptor, from: string, o: IoOptions = {}): Promise<boolean> {
    if (from === this.repository || isGraphNodeType(d.mediaType)) return false;
    try {
      return await mountBlob(this.#ref(o), d, from);
    } catch (e) {
      if (
        e instanceof ScrydonError &&
        (e.code === 'auth_failed' || e.code === 'access_denied' || e.code === 'registry_error')
      )
        return false;
      throw e;
    }
  }

  async #serial(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.#fallbackLocks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#fallbackLocks.set(key, tail);
    try {
      await run;
    } finally {
      if (this.#fallbackLocks.get(key) === tail) this.#fallbackLocks.delete(key);
    }
  }
}
