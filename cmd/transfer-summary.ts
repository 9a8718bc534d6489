import type { CopyStats } from '../src/content/copy.js';
import { humanBytes } from './output/progress.js';

/** One line for what a transfer did: what moved, what was already there, what was mounted, referrers. */
export function transferSummary(s: CopyStats): string {
  const parts = [`${s.copied} copied (${humanBytes(s.bytes)})`, `${s.skipped} already there`];
  if (s.mounted) parts.push(`${s.mounted} mounted`);
  if (s.referrers) parts.push(`${s.referrers} referrer(s)`);
  return parts.join(', ');
}
