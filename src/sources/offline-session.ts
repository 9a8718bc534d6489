import { ScrydonError } from '../errors.js';
import type { Descriptor } from '../oci/descriptor.js';
import type { CatalogEntry } from './catalog-file.js';
import { readCatalogArtifact } from './catalog-artifact.js';
import { resolveMirrored } from './oci-entry.js';
import type { FetchedCatalog, SessionDeps, SourceSession } from './session.js';
import type { Source } from './source-spec.js';
import { catalogStoreTag, gitPackTag } from '../names/sources.js';

/**
 * Any source with `--offline`: no network call at all. The catalog is the one kept in the store under the
 * source's tag (mirrored here earlier, or loaded from an archive saved on a connected machine); each entry's
 * artifact is found in the store by the name the online mirror gave it.
 */
export class OfflineSession implements SourceSession {
  readonly source: Source;
  readonly #deps: SessionDeps;
  #stored: FetchedCatalog | undefined;

  constructor(source: Source, deps: SessionDeps) {
    this.source = source;
    this.#deps = deps;
  }

  async #read(): Promise<FetchedCatalog> {
    if (this.#stored) return this.#stored;
    const tag = catalogStoreTag(this.source);
    let c;
    try {
      c = await readCatalogArtifact(this.#deps.store, tag, this.source.catalogPath, { signal: this.#deps.signal });
    } catch (e) {
      throw new ScrydonError(
        'fetch_failed',
        `no catalog of source ${this.source.name} is in the store (looked for ${tag}) and --offline forbids fetching it`,
        {
          cause: e,
          hint: 'reconcile it on a connected machine (--mirror-only is enough), scrydon save --all there, and scrydon load the archive here',
        },
      );
    }
    this.#stored = {
      revision: this.source.type === 'git' ? (c.commit ?? c.descriptor.digest) : c.descriptor.digest,
      descriptor: c.descriptor,
      bytes: c.bytes,
    };
    return this.#stored;
  }

  async probe(): Promise<string> {
    return (await this.#read()).revision;
  }

  async catalog(pinned?: string): Promise<FetchedCatalog> {
    const c = await this.#read();
    if (pinned !== undefined && pinned !== c.revision) {
      throw new ScrydonError(
        'fetch_failed',
        `source ${this.source.name}: the stored catalog is at ${c.revision}, the lock at ${pinned}; --offline cannot fetch the locked one`,
        {
          hint: 'load the archive saved with that lock',
        },
      );
    }
    return c;
  }

  async mirror(entry: CatalogEntry, expect?: string): Promise<Descriptor> {
    if (entry.artifact.kind === 'oci') return resolveMirrored(this.#deps.store, entry.artifact.ref, expect);
    if (this.source.type !== 'git')
      throw new ScrydonError('fetch_failed', `${entry.id} ${entry.version}: a git-tar entry needs a git source`);
    const tag = gitPackTag(this.source.url, entry.id, entry.version);
    let d: Descriptor;
    try {
      d = await this.#deps.store.resolve(tag);
    } catch (e) {
      throw new ScrydonError(
        'fetch_failed',
        `${entry.id} ${entry.version} (git-tar ${entry.artifact.path}) is not in the store (${tag}) and --offline forbids packing it`,
        { cause: e },
      );
    }
    if (expect !== undefined && d.digest !== expect)
      throw new ScrydonError('digest_mismatch', `${tag} is ${d.digest}, not the locked ${expect}`);
    return d;
  }

  async close(): Promise<void> {
    return undefined;
  }
}
