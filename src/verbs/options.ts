import type { CopyOptions } from '../content/copy.js';
import type { Companions } from '../signature/legacy-companions.js';

export type TransferOptions = Pick<CopyOptions, 'concurrency' | 'onEvent' | 'signal' | 'walkLimits'> & {
  /** Copy signatures and other referrers too (default true). */
  referrers?: boolean;
};

/** cosign's legacy `sha256-<hex>.sig` tags travel with what they sign, like referrers (and with the same switch). */
export function legacySigs(o: TransferOptions, companions: Companions): { companions?: Companions } {
  return (o.referrers ?? true) ? { companions } : {};
}
