import { ScrydonError } from '../errors.js';
import { parseRemoteReference } from '../names/remote.js';
import type { Remote } from '../registry/remote.js';

/** One registry client per registry a run talks to, opened on first use and closed together. */
export class RemotePool {
  readonly #open: (registries: readonly string[]) => Promise<Remote>;
  readonly #remotes = new Map<string, Promise<Remote>>();
  readonly #offline: boolean;

  constructor(open: (registries: readonly string[]) => Promise<Remote>, offline = false) {
    this.#open = open;
    this.#offline = offline;
  }

  /** The client for the registry `ref` names. */
  for(ref: string): Promise<Remote> {
    const registry = parseRemoteReference(ref).registry;
    if (this.#offline)
      return Promise.reject(new ScrydonError('fetch_failed', `${ref}: --offline makes no network call`));
    let p = this.#remotes.get(registry);
    if (!p) {
      p = this.#open([registry]);
      this.#remotes.set(registry, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.#remotes.values()];
    this.#remotes.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
  }
}
