import type { CopyResult, CopyStats } from '../src/content/copy.js';
import { humanBytes } from './output/progress.js';

/** One line for what a transfer did: what moved, what was already there, what was mounted, referrers. */
export function transferSummary(s: CopyStats): string {
  const parts = [`${s.copied} copied (${humanBytes(s.bytes)})`, `${s.skipped} already there`];
  if (s.mounted) parts.push(`${s.mounted} mounted`);
  if (s.referrers) parts.push(`${s.referrers} referrer(s)`);
  return parts.join(', ');
}

/** What `push` and `copy` report under --json: both ends, the root, and the transfer's counts. */
export function transferData(r: CopyResult & { source: string; target: string }): Record<string, unknown> {
  return {
    source: r.source,
    target: r.target,
    digest: r.root.digest,
    mediaType: r.root.mediaType,
    copied: r.copied,
    skipped: r.skipped,
    mounted: r.mounted,
    bytes: r.bytes,
    referrers: r.referrers,
  };
}
