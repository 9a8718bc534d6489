import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import { isDigest } from '../oci/digest.js';
import type { CatalogEntry } from './catalog-file.js';
import { readCatalogArtifact } from './catalog-artifact.js';
import { headOf, mirrorFromRegistry } from './oci-entry.js';
import { RemotePool } from './remote-pool.js';
import type { FetchedCatalog, SessionDeps, SourceSession } from './session.js';
import { type Source } from './source-spec.js';
import { ociCatalogReference } from '../names/sources.js';

/**
 * An OCI source, online: change detection is one HEAD of `URL:REF` (the manifest digest is the revision);
 * the catalog artifact is mirrored into the store by that digest under its remote name, and read there.
 */
export class OciSession implements SourceSession {
  readonly source: Source;
  readonly #deps: SessionDeps;
  readonly #remotes: RemotePool;
  readonly #ref: string;
  #head: Descriptor | undefined;

  constructor(source: Source, deps: SessionDeps) {
    this.source = source;
    this.#deps = deps;
    this.#remotes = new RemotePool(deps.openRemote);
    this.#ref = ociCatalogReference(source);
  }

  async probe(): Promise<string> {
    this.#head = await headOf(await this.#remotes.for(this.#ref), this.#ref, { signal: this.#deps.signal });
    return this.#head.digest;
  }

  async catalog(pinned?: string): Promise<FetchedCatalog> {
    if (pinned !== undefined && !isDigest(pinned))
      throw new ScrydonError('fetch_failed', `${this.#ref}: the lock's revision ${pinned} is not a manifest digest`);
    const digest = pinned ?? this.#head?.digest ?? (await this.probe());
    const d = await mirrorFromRegistry(await this.#remotes.for(this.#ref), this.#deps.store, this.#ref, digest, {
      signal: this.#deps.signal,
      walkLimits: this.#deps.walkLimits,
    });
    const c = await readCatalogArtifact(this.#deps.store, d, this.source.catalogPath, { signal: this.#deps.signal });
    return { revision: d.digest, descriptor: d, bytes: c.bytes };
  }

  async mirror(entry: CatalogEntry, expect?: string): Promise<Descriptor> {
    if (entry.artifact.kind !== 'oci') {
      throw new ScrydonError(
        'fetch_failed',
        `${entry.id} ${entry.version}: a git-tar entry needs a git source; ${this.source.name} is an OCI source`,
        {
          hint: 'publish the pack to a registry and list it as kind: oci',
        },
      );
    }
    const remote = await this.#remotes.for(entry.artifact.ref);
    return mirrorFromRegistry(remote, this.#deps.store, entry.artifact.ref, expect, {
      signal: this.#deps.signal,
      walkLimits: this.#deps.walkLimits,
    });
  }

  async close(): Promise<void> {
    await this.#remotes.close();
  }
}
