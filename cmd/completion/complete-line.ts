import type { HomePaths } from '../../src/config/paths.js';
import { manifest } from '../help/manifest.js';
import { complete } from './complete.js';
import { homeNames } from './names.js';

/** `scrydon __complete WORDS…`'s output: candidates one per line (nothing in an unbuilt tree, or on any failure). */
export async function completeLine(words: readonly string[], paths: HomePaths): Promise<string> {
  if (!manifest) return '';
  const lines = await complete(manifest, words.length ? words : [''], homeNames(paths)).catch(() => []);
  return lines.map((l) => `${l}\n`).join('');
}
