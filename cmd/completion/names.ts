import { readFile } from 'node:fs/promises';
import { Annotation } from '../../src/oci/media-types.js';
import { readIndex } from '../../src/store/index-file.js';
import { LayoutPaths } from '../../src/store/layout.js';
import type { HomePaths } from '../../src/config/paths.js';
import type { Names } from './complete.js';

/**
 * The names completion offers from $SCRYDON_HOME: the store's references (index.json's ref names only: no
 * store is opened, no manifest read) and the registered sources (sources.yaml's names, not validated).
 * Anything unreadable offers nothing: completion never fails a shell.
 */
export function homeNames(paths: HomePaths): Names {
  return {
    async refs() {
      const index = await readIndex(new LayoutPaths(paths.catalog)).catch(() => undefined);
      const refs = (index?.manifests ?? [])
        .map((d) => d.annotations?.[Annotation.refName])
        .filter((r): r is string => r !== undefined);
      return [...new Set(refs)].sort();
    },
    async sources() {
      const text = await readFile(paths.sources, 'utf8').catch(() => '');
      if (text === '') return [];
      const { parse } = await import('yaml'); // only when there is a file to read
      let doc: unknown;
      try {
        doc = parse(text);
      } catch {
        return [];
      }
      const list = (doc as { sources?: unknown } | null)?.sources;
      return Array.isArray(list)
        ? list.map((s) => (s as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string')
        : [];
    },
  };
}
