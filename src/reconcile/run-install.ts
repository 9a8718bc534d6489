import { Limiter } from '../content/limiter.js';
import { installPack } from '../install/install.js';
import type { InstallRecord, InstallStatus } from '../install/state.js';
import { LeasedStore } from '../store/leased-store.js';
import type { Store } from '../store/store-target.js';
import { orderByDependencies, type DepNode } from './deps.js';
import type { RunPack } from './history.js';
import { claimRecord } from './lifecycle.js';
import { failed, type Prepared } from './run-packs.js';
import { attestationsText } from './verify-pack.js';

/**
 * The install step of a run: the verified packs in dependency order, through the same pipeline as `scrydon
 * install`. Verified packs become active; packs the source lets through unsigned wait as pending-review (a
 * reconcile is never the explicit review); packs a required attestation is missing for are not installed at all. A pack whose dependency failed fails with install_failed too.
 */
export interface InstallInput {
  prepared: Prepared;
  restore: boolean;
}

interface InstallContext {
  store: Store;
  root: string;
  source: string;
  installed: readonly InstallRecord[];
  stop?: AbortSignal | undefined;
  /** Packs installed at once (default 8). */
  concurrency?: number;
}

/** A pack a required attestation is missing for: mirrored and its signature verified, not installed. */
function waitingPack(p: Prepared): RunPack {
  const { id, version } = p.entry;
  return {
    id,
    version,
    digest: p.descriptor.digest,
    outcome: 'pending-review',
    code: 'attestation_not_found',
    detail: `not installed, waiting for review: signed by ${p.verification.signer ?? '?'}${attestationsText(p.verification)}; scrydon approve ${id}@${version} installs it`,
  };
}

function keyOf(p: Prepared): string {
  return `${p.entry.id}@${p.entry.version}`;
}

/**
 * A run's installs, with one lease for them all (what each reads is held until they are all done). A pack whose
 * pack.json names no dependency can go first whatever the order (orderByDependencies puts it first): `early` starts
 * it as soon as it is verified, beside the mirroring of the rest; `finish` installs the others in dependency order
 * (a dependent of an early pack waits for it) and releases the lease.
 */
export class RunInstalls {
  readonly #c: InstallContext;
  readonly #leased: LeasedStore;
  // independent packs install side by side; each waits for its dependencies first
  readonly #limiter: Limiter;
  readonly #started = new Map<string, Promise<boolean>>();
  readonly #results = new Map<string, RunPack>();

  constructor(c: InstallContext) {
    this.#c = c;
    this.#leased = new LeasedStore(c.store);
    this.#limiter = new Limiter(c.concurrency ?? 8);
  }

  /** Starts installing `item` now when its pack depends on nothing; otherwise leaves it to finish(). */
  early(item: InstallInput): void {
    if (Object.keys(item.prepared.packJson.dependencies ?? {}).length > 0) return;
    const key = keyOf(item.prepared);
    if (this.#started.has(key)) return;
    this.#started.set(key, this.#installOne(key, item, []));
  }

  /** Installs `items` (the early ones among them) in dependency order; their outcomes, in item order. */
  async finish(items: readonly InstallInput[]): Promise<RunPack[]> {
    try {
      return await this.#installAll(items);
    } finally {
      await this.close();
    }
  }

  /** Waits for the installs started and releases the lease (a run that ends before finish()). */
  async close(): Promise<void> {
    await Promise.allSettled(this.#started.values());
    await this.#leased.release();
  }

  async #installAll(items: readonly InstallInput[]): Promise<RunPack[]> {
    const c = this.#c;
    const byKey = new Map(items.map((i) => [keyOf(i.prepared), i] as const));
    const nodes: DepNode[] = items.map(({ prepared: p }) => ({
      key: keyOf(p),
      id: p.entry.id,
      version: p.entry.version,
      dependencies: p.packJson.dependencies ?? {},
    }));
    const { order, failed: blocked, needs } = orderByDependencies(nodes, c.installed);
    const bad = new Set<string>();
    for (const [key, why] of blocked) {
      const item = byKey.get(key);
      if (!item) continue;
      this.#results.set(
        key,
        failed(item.prepared.entry, 'install_failed', new Error(why), item.prepared.descriptor.digest),
      );
      bad.add(key);
    }
    const start = (key: string): Promise<boolean> => {
      let p = this.#started.get(key);
      if (!p) {
        const item = byKey.get(key);
        p =
          !item || bad.has(key)
            ? Promise.resolve(false)
            : Promise.all((needs.get(key) ?? []).map(start)).then((oks) =>
                this.#installOne(key, item, needs.get(key) ?? [], oks),
              );
        this.#started.set(key, p);
      }
      return p;
    };
    await Promise.all(order.map(start));
    return items.map((i) => this.#results.get(keyOf(i.prepared))).filter((r): r is RunPack => r !== undefined);
  }

  /** Installs one pack whose dependencies (`deps`, this run's keys) have ended as `oks` says. */
  async #installOne(key: string, item: InstallInput, deps: readonly string[], oks: boolean[] = []): Promise<boolean> {
    const c = this.#c;
    const results = this.#results;
    const p = item.prepared;
    // a required attestation missing: nothing of it installs; it waits (the next run looks again, or scrydon approve)
    if (p.verification.missingAttestations.length) {
      results.set(key, waitingPack(p));
      return false;
    }
    // stopped by a signal: not handled (no result), so the run is recorded as stopped, not as failed installs
    if (c.stop?.aborted) return false;
    const broken = deps.find((_, i) => !oks[i]);
    if (broken) {
      const waits = results.get(broken)?.outcome === 'pending-review';
      results.set(
        key,
        failed(
          p.entry,
          'install_failed',
          new Error(`dependency ${broken.replace('@', ' ')} ${waits ? 'waits for review' : 'failed'} in this run`),
          p.descriptor.digest,
        ),
      );
      return false;
    }
    const status: InstallStatus = p.verification.verified ? 'active' : 'pending-review';
    await this.#limiter.acquire();
    // the slot bounds extractions: given back once this pack's files are in place, while its record waits for the
    // state lock, so the next extraction runs beside that write and more records share the next one
    let holding = true;
    const release = (): void => {
      if (holding) this.#limiter.release();
      holding = false;
    };
    try {
      if (c.stop?.aborted) return false; // queued for a slot when the signal came
      const r = await installPack(c.store, p.descriptor, {
        root: c.root,
        source: c.source,
        status,
        admission: p.verification.admission,
        leased: this.#leased,
        extracted: release,
      });
      if (r.action === 'unchanged' && (r.record.status !== status || r.record.source !== c.source)) {
        await claimRecord(c.root, p.entry.id, p.descriptor.digest, c.source, status);
      }
      const how = item.restore
        ? 'restored'
        : r.action === 'replaced'
          ? `replaced ${r.previous?.version ?? ''}`.trim()
          : r.action;
      results.set(key, {
        id: p.entry.id,
        version: p.entry.version,
        digest: p.descriptor.digest,
        outcome: item.restore ? 'restored' : 'installed',
        detail: `${how}; ${status}${p.verification.signer ? `; signed by ${p.verification.signer}` : '; not verified (source allows unsigned)'}${attestationsText(p.verification)}`,
      });
      return true;
    } catch (e) {
      results.set(key, failed(p.entry, 'install_failed', e, p.descriptor.digest));
      return false;
    } finally {
      release();
    }
  }
}
