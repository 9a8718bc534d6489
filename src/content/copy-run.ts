import { setMaxListeners } from 'node:events';
import type { Descriptor } from '../oci/descriptor.js';
import { Annotation, sharedMediaType } from '../oci/media-types.js';
import type { CopyStats } from './copy-types.js';
import type { EventSink } from './events.js';
import type { WalkBudget } from './limits.js';
import type { IoOptions, ReadOnlyTarget, Target } from './target.js';

/**
 * The first failure of a copy stops every transfer still running (as an errgroup would): nothing keeps writing
 * into a destination the caller is about to discard, and that failure (not the aborts it causes) is what is thrown.
 */
export class FirstFailure {
  readonly #failed = new AbortController();
  /** Aborts with the first failure, or with the caller's signal. */
  readonly signal: AbortSignal;
  /** The first failure, once there is one. */
  error: unknown;

  constructor(outer?: AbortSignal) {
    this.signal = outer ? AbortSignal.any([outer, this.#failed.signal]) : this.#failed.signal;
    // every transfer and lookup in flight listens to it (a wide graph has dozens): no leak warning from Node
    setMaxListeners(0, this.signal);
  }

  readonly fail = (e: unknown): void => {
    if (this.#failed.signal.aborted) return;
    this.error = e;
    this.#failed.abort(e);
  };
}

/** What the walk and its strategies share in one copy. */
export interface CopyRun {
  readonly src: ReadOnlyTarget;
  readonly dst: Target;
  /** What every call to either Target takes: the signal of `failure`, and the caller's walk limits. */
  readonly io: IoOptions;
  readonly failure: FirstFailure;
  /** What the source can make this walk hold (limits.ts). */
  readonly budget: WalkBudget;
  readonly stats: CopyStats;
  readonly onEvent: EventSink | undefined;
}

/** A file title longer than this is not kept for progress labels. */
const MAX_TITLE = 200;

/**
 * What the walk keeps of a descriptor it follows: what names the content, plus a short file title for progress
 * labels (a hostile descriptor's other annotations are dropped at once).
 */
export function slim(d: Descriptor): Descriptor {
  const title = d.annotations?.[Annotation.title];
  const kept = { mediaType: sharedMediaType(d.mediaType), digest: d.digest, size: d.size };
  return typeof title === 'string' && title.length <= MAX_TITLE
    ? { ...kept, annotations: { [Annotation.title]: title } }
    : kept;
}
