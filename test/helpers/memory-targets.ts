import { Readable } from 'node:stream';
import { MemoryTarget, type MemoryTargetOptions } from '../../src/content/memory-target.js';
import type { Committer, IoOptions, Mounter, TaggingPusher } from '../../src/content/target.js';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { damaged } from './graph.js';

/**
 * MemoryTargets with what a test needs to make happen: damaged content, pushes that wait until the copy aborts
 * them, and a count of pushes running at once.
 */
export class TestMemory extends MemoryTarget {
  /** Pushes of these digests wait until their signal aborts (a slow transfer the copy must stop). */
  readonly held = new Set<string>();
  /** Pushes started and not yet settled, and the most there ever were. */
  active = 0;
  maxActive = 0;
  /** Held pushes that ended because their signal aborted. */
  readonly aborted: string[] = [];

  constructor(o: MemoryTargetOptions = {}) {
    super(o);
  }

  /** Changes the stored bytes of `digest` into others of the same size. */
  damage(digest: string): void {
    const hit = this.content.get(digest);
    if (!hit) throw new Error(`${digest} is not held`);
    this.content.set(digest, { ...hit, bytes: damaged(hit.bytes) });
  }

  override async push(d: Descriptor, body: Readable, o: IoOptions = {}): Promise<void> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      // one turn of the event loop inside every push, so pushes that could overlap do
      await new Promise((r) => setImmediate(r));
      if (this.held.has(d.digest)) {
        this.record('push', { digest: d.digest });
        await new Promise<void>((_, reject) => {
          const stop = (): void => {
            this.aborted.push(d.digest);
            body.destroy();
            reject(o.signal?.reason);
          };
          if (o.signal?.aborted) stop();
          else o.signal?.addEventListener('abort', stop, { once: true });
        });
      }
      await super.push(d, body, o);
    } finally {
      this.active--;
    }
  }
}

/** A repository of an in-memory registry: blobs can be mounted from its other repositories (`from`). */
export class MountingMemory extends TestMemory implements Mounter {
  readonly #registry: ReadonlyMap<string, MemoryTarget>;

  constructor(registry: ReadonlyMap<string, MemoryTarget>, o: MemoryTargetOptions = {}) {
    super(o);
    this.#registry = registry;
  }

  async mount(d: Descriptor, from: string, o: IoOptions = {}): Promise<boolean> {
    this.record('mount', { digest: d.digest });
    const repo = this.#registry.get(from);
    if (!repo || !(await repo.exists(d, o))) return false;
    await super.push(d, await repo.fetch(d, o), o);
    return true;
  }
}

/** A destination that stores a manifest under a tag in one step (a registry's PUT by tag). */
export class TaggingMemory extends TestMemory implements TaggingPusher {
  async pushTagged(d: Descriptor, bytes: Buffer, ref: string, o: IoOptions = {}): Promise<void> {
    this.record('pushTagged', { digest: d.digest, ref });
    await super.push(d, Readable.from([bytes]), o);
    await super.tag(d, ref, o);
  }
}

/** A destination finalised once everything is pushed and tagged (an archive writer). */
export class CommittingMemory extends TestMemory implements Committer {
  async commit(): Promise<void> {
    this.record('commit');
  }
}
