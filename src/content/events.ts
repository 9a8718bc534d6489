import type { Descriptor } from '../oci/descriptor.js';

/** Progress as data: the core emits these, the CLI decides how (or whether) to show them. */
export type CopyEvent =
  | { type: 'start'; descriptor: Descriptor }
  | { type: 'progress'; descriptor: Descriptor; bytes: number }
  | { type: 'done'; descriptor: Descriptor }
  | { type: 'skipped'; descriptor: Descriptor };

export type EventSink = (e: CopyEvent) => void;
