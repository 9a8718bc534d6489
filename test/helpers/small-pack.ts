import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a small pack directory (pack.json and one ontology file, ~1 KiB packed) that `scrydon build` accepts:
 * what the scale test and the scale benchmark fill stores with.
 */
export async function writeSmallPackDir(dir: string, id: string, version: string): Promise<void> {
  await mkdir(join(dir, 'ontology'), { recursive: true });
  const packJson = {
    schemaVersion: 1,
    package: { id, version, name: `Pack ${id}` },
    contents: [{ kind: 'ontology', path: 'ontology' }],
    installOrder: ['ontology'],
  };
  await writeFile(join(dir, 'pack.json'), JSON.stringify(packJson, null, 2));
  await writeFile(join(dir, 'ontology', 'entities.json'), JSON.stringify({ entities: [`${id}.Thing`], version }));
}
