import type { HelpManifest } from './manifest-types.js';

/** Placeholder: filled in below. */
export function manPages(_m: HelpManifest): Map<string, string> {
  return new Map();
}
