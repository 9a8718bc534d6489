import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ok } from './cli.js';

/**
 * Builds `n` small packs (`scale.p<i>:1.0.0`) into the store of `home` through the public `scrydon build`, two
 * at a time (the machine's cores); the pack directories are written under `work`. Returns the refs, sorted.
 */
export async function buildManyPacks(home: string, work: string, n: number): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const packJson = {
      schemaVersion: 1,
      package: { id: `scale.p${i}`, version: '1.0.0' },
      contents: [{ kind: 'ontology', path: 'ontology' }],
      installOrder: ['ontology'],
    };
    const files = { 'ontology/manifest.json': JSON.stringify({ classes: [`C${i}`] }) };
    const dir = join(work, `p${i}`);
    for (const [name, body] of Object.entries({ 'pack.json': JSON.stringify(packJson), ...files })) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), body);
    }
    dirs.push(dir);
  }
  let next = 0;
  const worker = async () => {
    while (next < dirs.length) await ok(['build', dirs[next++] as string, '-q'], { home });
  };
  await Promise.all([worker(), worker()]);
  return dirs.map((_, i) => `scale.p${i}:1.0.0`).sort();
}
